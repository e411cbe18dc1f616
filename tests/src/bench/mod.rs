//! The pieces of `regie-bench`, one subject per file: the load generator and its statistics
//! (`load`), instruction counts per call under callgrind (`callgrind`), the processor time it took (`cpu`), the bare baselines the real server is compared
//! with (`echo`, `commit`), the calls to the real server (`cases`), the measurements that put
//! them together (`measure`), the rows of several replicas on one database (`replicas`), the server binary they run (`server_binary`), and the printed
//! report (`report`).

pub mod callgrind;
pub mod cases;
pub mod commit;
pub mod cpu;
pub mod echo;
pub mod load;
pub mod measure;
pub mod replicas;
pub mod report;
pub mod server_binary;
