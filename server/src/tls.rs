//! TLS for the gRPC listener (issue #12, finding 17), with rustls: the certificate and key come
//! from `--tls-cert` and `--tls-key` (PEM), and are read again without a restart on SIGHUP and
//! whenever either file's modification time changes (checked every `--tls-reload-interval`).
//! New handshakes get the new certificate; connections already open keep theirs.
//!
//! A bad file at start is a startup error naming the file and what is wrong with it; a bad file
//! at a reload is logged and the certificate in use stays.
//!
//! The accept loop is ours rather than tonic's (`ServerTlsConfig` takes a fixed identity): it
//! sets TCP_NODELAY on every accepted socket, as the plaintext listener does (`server.rs`), and
//! runs each handshake in a task of its own, bounded by [`HANDSHAKE_TIMEOUT`], so that a client
//! that stalls in its handshake holds up no one else.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use anyhow::Context as _;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::{CryptoProvider, ring};
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::{ClientHello, ResolvesServerCert};
use tokio_rustls::rustls::sign::CertifiedKey;
use tokio_rustls::server::TlsStream;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;

/// The longest a client may take over its handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections whose handshake is done, waiting for the server to take them.
const ACCEPTED: usize = 64;

/// The certificate in use, swapped whole on a reload.
#[derive(Debug)]
struct Current(RwLock<Arc<CertifiedKey>>);

impl ResolvesServerCert for Current {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.0.read().ok().map(|current| current.clone())
    }
}

/// The certificate and key files, what was read from them, and when they last changed.
#[derive(Debug)]
pub struct Certificates {
    cert: PathBuf,
    key: PathBuf,
    current: Arc<Current>,
    modified: Mutex<(Option<SystemTime>, Option<SystemTime>)>,
}

fn provider() -> CryptoProvider {
    ring::default_provider()
}

/// Reads and checks a certificate chain and its private key.
fn load(cert: &Path, key: &Path) -> anyhow::Result<CertifiedKey> {
    let pem = std::fs::read(cert)
        .with_context(|| format!("cannot read the TLS certificate {}", cert.display()))?;
    let chain = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("the TLS certificate {} is not valid PEM", cert.display()))?;
    anyhow::ensure!(
        !chain.is_empty(),
        "the TLS certificate {} holds no certificate (PEM, `-----BEGIN CERTIFICATE-----`)",
        cert.display()
    );
    let pem =
        std::fs::read(key).with_context(|| format!("cannot read the TLS key {}", key.display()))?;
    let private = PrivateKeyDer::from_pem_slice(&pem).with_context(|| {
        format!(
            "the TLS key {} holds no private key (PEM: PKCS#8, PKCS#1 or SEC1)",
            key.display()
        )
    })?;
    CertifiedKey::from_der(chain, private, &provider()).map_err(|e| {
        anyhow::anyhow!(
            "the TLS key {} does not go with the certificate {}: {e}",
            key.display(),
            cert.display()
        )
    })
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

impl Certificates {
    /// Reads both files; an error names the file and what is wrong.
    pub fn load(cert: &Path, key: &Path) -> anyhow::Result<Arc<Self>> {
        let stamps = (modified(cert), modified(key));
        let loaded = load(cert, key)?;
        Ok(Arc::new(Self {
            cert: cert.to_owned(),
            key: key.to_owned(),
            current: Arc::new(Current(RwLock::new(Arc::new(loaded)))),
            modified: Mutex::new(stamps),
        }))
    }

    /// The acceptor for new connections: TLS 1.2 and 1.3, HTTP/2 by ALPN, the certificate in
    /// use at each handshake.
    pub fn acceptor(&self) -> anyhow::Result<TlsAcceptor> {
        let mut config = ServerConfig::builder_with_provider(Arc::new(provider()))
            .with_safe_default_protocol_versions()
            .context("the TLS protocol versions")?
            .with_no_client_auth()
            .with_cert_resolver(self.current.clone());
        config.alpn_protocols = vec![b"h2".to_vec()];
        Ok(TlsAcceptor::from(Arc::new(config)))
    }

    /// Reads the files again and, when they are good, serves them from the next handshake on.
    /// `force`: even if neither file's modification time changed (SIGHUP).
    pub fn reload(&self, force: bool) {
        let stamps = (modified(&self.cert), modified(&self.key));
        {
            let Ok(mut seen) = self.modified.lock() else {
                return;
            };
            if !force && *seen == stamps {
                return;
            }
            *seen = stamps;
        }
        match load(&self.cert, &self.key) {
            Ok(loaded) => {
                if let Ok(mut current) = self.current.0.write() {
                    *current = Arc::new(loaded);
                }
                tracing::info!(cert = %self.cert.display(), "reloaded the TLS certificate");
            }
            Err(e) => tracing::error!(
                error = format!("{e:#}"),
                "the TLS certificate was not reloaded; the one in use stays"
            ),
        }
    }

    /// Reloads on SIGHUP and when a file changes (checked every `interval`), until `stop`.
    pub async fn watch(self: Arc<Self>, interval: Duration, stop: CancellationToken) {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        #[cfg(unix)]
        let mut hangup = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        {
            Ok(signal) => Some(signal),
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGHUP; TLS files are still watched");
                None
            }
        };
        loop {
            #[cfg(unix)]
            let hung_up = async {
                match hangup.as_mut() {
                    Some(signal) => signal.recv().await,
                    None => std::future::pending().await,
                }
            };
            #[cfg(not(unix))]
            let hung_up = std::future::pending::<Option<()>>();
            tokio::select! {
                _ = tick.tick() => self.reload(false),
                Some(()) = hung_up => {
                    tracing::info!("received SIGHUP: reloading the TLS certificate");
                    self.reload(true);
                }
                () = stop.cancelled() => return,
            }
        }
    }
}

/// The connections accepted on `listener`, TCP_NODELAY set and the TLS handshake done. It ends
/// (and the listener closes) when the stream is dropped, as the server does at shutdown.
pub fn incoming(
    listener: TcpListener,
    acceptor: TlsAcceptor,
) -> ReceiverStream<std::io::Result<TlsStream<TcpStream>>> {
    let (sender, receiver) = tokio::sync::mpsc::channel(ACCEPTED);
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                () = sender.closed() => return,
            };
            let (socket, peer) = match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment rather than spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            if let Err(e) = socket.set_nodelay(true) {
                tracing::debug!(error = %e, "cannot set TCP_NODELAY");
            }
            let acceptor = acceptor.clone();
            let sender = sender.clone();
            tokio::spawn(async move {
                match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(socket)).await {
                    Ok(Ok(stream)) => {
                        let _ = sender.send(Ok(stream)).await;
                    }
                    Ok(Err(e)) => {
                        tracing::debug!(%peer, error = %e, "a TLS handshake failed")
                    }
                    Err(_) => tracing::debug!(%peer, "a TLS handshake timed out"),
                }
            });
        }
    });
    ReceiverStream::new(receiver)
}
