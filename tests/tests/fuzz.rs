//! Hostile input to every unary method, end to end on both backends (issue #12): valid
//! messages, built from the descriptor set, whose fields hold random and hostile values —
//! empty, a megabyte, NUL, unicode, negative and huge numbers, unknown enum values, made-up and
//! edited page tokens, filters nested a thousand deep. Whatever comes in, the server answers
//! with a code that says what was wrong: never INTERNAL or UNKNOWN, and never an error whose
//! trailers pass 8 KiB.
//!
//! The seed is fixed, so a failure repeats; `REGIE_FUZZ_SEED` picks another and
//! `REGIE_FUZZ_REQUESTS` sets how many calls each backend gets (default 1,500, a few seconds).

// The backend tests are plain async fns, which clippy's allow-unwrap-in-tests does not cover.
#![allow(clippy::unwrap_used)]

use prost::Message as _;
use prost_reflect::{
    DescriptorPool, DynamicMessage, FieldDescriptor, Kind, MessageDescriptor, Value,
};
use regie_tests::raw::call_bytes;
use regie_tests::{Backend, TestServer, backend_tests};
use tonic::Code;

backend_tests!(hostile_values_in_every_unary_method_get_a_clear_answer_and_small_trailers);

/// splitmix64: small, fast and the same everywhere, so a seed names one run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

fn hostile_string(rng: &mut Rng, field: &FieldDescriptor) -> String {
    let name = field.name();
    match rng.below(16) {
        0 => String::new(),
        1 => "x".repeat(1 << 20),
        2 => "\0".into(),
        3 => "a\0b".into(),
        4 => "Ünïcødé ∑ 🎉 \u{202e}rtl".into(),
        5 => format!(
            "{}{}{}",
            "(".repeat(1000),
            "title = \"a\"",
            ")".repeat(1000)
        ),
        6 => "NOT NOT NOT NOT title = \"a\" AND (state = \"x\" OR kind:\"y\")".into(),
        7 => format!("cases/{}", rng.next() % 1000),
        8 => "departments/JenV".into(),
        9 => "departments/rijk".into(),
        // A page token: made up, or the shape of a real one with its bytes changed.
        10 => "eyJxIjoiYWJjIiwiYWZ0ZXIiOlsiXHUwMDAwIl19".into(),
        11 => format!("{:x}{:x}", rng.next(), rng.next()),
        12 => "*".into(),
        13 => format!("{name} = \"\\u0000\""),
        14 => "\u{7f}\u{1b}[31m\r\n".into(),
        _ => "workingGroups/ipim".into(),
    }
}

fn hostile_value(rng: &mut Rng, field: &FieldDescriptor, depth: usize) -> Value {
    match field.kind() {
        Kind::String => Value::String(hostile_string(rng, field)),
        Kind::Bytes => Value::Bytes(vec![0u8; rng.below(64)].into()),
        Kind::Bool => Value::Bool(rng.chance(50)),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => {
            Value::I32([0, -1, 1, i32::MAX, i32::MIN, 1000, 1001][rng.below(7)])
        }
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => {
            Value::I64([0, -1, 1, i64::MAX, i64::MIN, 253_402_300_800][rng.below(6)])
        }
        Kind::Uint32 | Kind::Fixed32 => Value::U32([0, 1, u32::MAX][rng.below(3)]),
        Kind::Uint64 | Kind::Fixed64 => Value::U64([0, 1, u64::MAX][rng.below(3)]),
        Kind::Float => Value::F32([0.0, -1.0, f32::NAN, f32::INFINITY][rng.below(4)]),
        Kind::Double => Value::F64([0.0, -1.0, f64::NAN, f64::MAX][rng.below(4)]),
        Kind::Enum(e) => {
            let known: Vec<i32> = e.values().map(|v| v.number()).collect();
            Value::EnumNumber(if rng.chance(70) {
                known[rng.below(known.len())]
            } else {
                [99, -5, i32::MAX][rng.below(3)]
            })
        }
        Kind::Message(m) => Value::Message(hostile_message(rng, &m, depth + 1)),
    }
}

fn hostile_message(rng: &mut Rng, descriptor: &MessageDescriptor, depth: usize) -> DynamicMessage {
    let mut message = DynamicMessage::new(descriptor.clone());
    if depth > 3 {
        return message;
    }
    for field in descriptor.fields() {
        if field.is_map() || !rng.chance(60) {
            continue;
        }
        let value = if field.is_list() {
            let n = if rng.chance(5) { 50 } else { rng.below(4) };
            Value::List((0..n).map(|_| hostile_value(rng, &field, depth)).collect())
        } else {
            hostile_value(rng, &field, depth)
        };
        message.set_field(&field, value);
    }
    message
}

async fn hostile_values_in_every_unary_method_get_a_clear_answer_and_small_trailers(
    backend: Backend,
) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let seed: u64 = std::env::var("REGIE_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_201);
    let requests: usize = std::env::var("REGIE_FUZZ_REQUESTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_500);
    let coordinator = server
        .principal("ic.jenv", &[("integrity_coordinator", "JenV")])
        .await;
    let pool = DescriptorPool::decode(regie_proto::FILE_DESCRIPTOR_SET).unwrap();
    let methods: Vec<_> = pool
        .services()
        .filter(|s| s.package_name() == "regie.v1")
        .flat_map(|s| s.methods().collect::<Vec<_>>())
        .filter(|m| !m.is_client_streaming() && !m.is_server_streaming())
        .collect();
    assert!(methods.len() > 40, "{} unary methods", methods.len());
    let mut rng = Rng(seed);
    let channel = server.channel().await;
    let mut codes = std::collections::BTreeMap::<String, usize>::new();
    for i in 0..requests {
        let method = &methods[i % methods.len()];
        let message = hostile_message(&mut rng, &method.input(), 0);
        let body = message.encode_to_vec();
        // The admin reaches the deepest paths; a department's coordinator the refusals.
        let token = if rng.chance(70) {
            server.admin_token.as_str()
        } else {
            coordinator.as_str()
        };
        let path = format!("/{}/{}", method.parent_service().full_name(), method.name());
        let status = call_bytes(channel.clone(), Some(token), &path, body, false).await;
        let trailers = status.message().len() + status.details().len().div_ceil(3) * 4;
        assert!(
            !matches!(status.code(), Code::Internal | Code::Unknown),
            "seed {seed}, request {i}: {path} answered {status:?} to {message:?}"
        );
        assert!(
            trailers <= 8 * 1024,
            "seed {seed}, request {i}: {path} answered with {trailers} bytes of trailers"
        );
        *codes.entry(format!("{:?}", status.code())).or_default() += 1;
    }
    eprintln!("seed {seed}, {requests} requests: {codes:?}");
    // The server is still up and answering.
    server
        .directory()
        .await
        .get_department(regie_proto::v1::GetDepartmentRequest {
            name: "departments/AZ".into(),
        })
        .await
        .unwrap();
}
