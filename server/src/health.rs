//! `grpc.health.v1.Health`: SERVING while the server takes calls, NOT_SERVING while its
//! database cannot be reached and once it drains: what a readiness probe or a load balancer
//! asks. The service [`LIVENESS`] answers only whether the process runs and serves: SERVING
//! through a database outage, so that a liveness probe does not restart every replica while the
//! database is away (docs/architecture.md, "Several replicas").
//!
//! Our own small implementation of the generated service, rather than tonic-health's reporter,
//! because a health `Watch` is a stream that never ends by itself: the server's graceful
//! shutdown waits for every open stream, so one load balancer watching health would hold every
//! shutdown up for the full timeout. Here each watcher gets the final NOT_SERVING and its stream
//! then ends when the shutdown token is cancelled.

use std::collections::HashMap;
use std::pin::Pin;

use tokio::sync::{mpsc, watch};
use tokio_stream::Stream;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_server::{Health, HealthServer};
use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse};

/// The health service name a liveness probe asks: SERVING until shutdown, whatever the
/// database does.
pub const LIVENESS: &str = "liveness";

/// The health of the server (service `""`) and of each named service.
#[derive(Clone)]
pub struct HealthState {
    statuses: watch::Sender<HashMap<String, ServingStatus>>,
    shutdown: CancellationToken,
}

impl HealthState {
    /// All of `services`, and the server as a whole, start NOT_SERVING.
    pub fn new(services: &[&str], shutdown: CancellationToken) -> Self {
        let statuses = std::iter::once("")
            .chain(std::iter::once(LIVENESS))
            .chain(services.iter().copied())
            .map(|s| (s.to_owned(), ServingStatus::NotServing))
            .collect();
        Self {
            statuses: watch::Sender::new(statuses),
            shutdown,
        }
    }

    /// Sets every service, and the server as a whole, to `status`.
    pub fn set_all(&self, status: ServingStatus) {
        self.statuses
            .send_modify(|statuses| statuses.values_mut().for_each(|s| *s = status));
    }

    /// Follows whether the database can be reached: NOT_SERVING while it cannot (so that load
    /// balancers send elsewhere), SERVING again when it can, until shutdown, which has the
    /// last word.
    pub async fn follow(self, mut reachable: watch::Receiver<bool>) {
        loop {
            tokio::select! {
                changed = reachable.changed() => {
                    if changed.is_err() {
                        return;
                    }
                }
                () = self.shutdown.cancelled() => return,
            }
            let up = *reachable.borrow_and_update();
            if self.shutdown.is_cancelled() {
                return;
            }
            let status = if up {
                ServingStatus::Serving
            } else {
                ServingStatus::NotServing
            };
            self.statuses.send_modify(|statuses| {
                statuses
                    .iter_mut()
                    .filter(|(service, _)| service.as_str() != LIVENESS)
                    .for_each(|(_, s)| *s = status);
            });
        }
    }

    pub fn service(&self) -> HealthServer<HealthService> {
        HealthServer::new(HealthService {
            state: self.clone(),
        })
    }

    fn status_of(&self, service: &str) -> Option<ServingStatus> {
        self.statuses.borrow().get(service).copied()
    }
}

pub struct HealthService {
    state: HealthState,
}

fn response(status: ServingStatus) -> HealthCheckResponse {
    HealthCheckResponse {
        status: status as i32,
    }
}

type WatchStream = Pin<Box<dyn Stream<Item = Result<HealthCheckResponse, Status>> + Send>>;

#[tonic::async_trait]
impl Health for HealthService {
    async fn check(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        let service = request.into_inner().service;
        match self.state.status_of(&service) {
            Some(status) => Ok(Response::new(response(status))),
            None => Err(Status::not_found(format!("unknown service {service:?}"))),
        }
    }

    type WatchStream = WatchStream;

    async fn watch(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<WatchStream>, Status> {
        let service = request.into_inner().service;
        let mut statuses = self.state.statuses.subscribe();
        let shutdown = self.state.shutdown.clone();
        let (tx, rx) = mpsc::channel(4);
        tokio::spawn(async move {
            let current = |statuses: &watch::Receiver<HashMap<String, ServingStatus>>| {
                statuses
                    .borrow()
                    .get(&service)
                    .copied()
                    .unwrap_or(ServingStatus::ServiceUnknown)
            };
            let mut last = current(&statuses);
            if tx.send(Ok(response(last))).await.is_err() {
                return;
            }
            loop {
                tokio::select! {
                    changed = statuses.changed() => {
                        if changed.is_err() {
                            break;
                        }
                        let now = current(&statuses);
                        if now != last {
                            last = now;
                            if tx.send(Ok(response(now))).await.is_err() {
                                return;
                            }
                        }
                    }
                    () = shutdown.cancelled() => break,
                }
            }
            // The final word before the stream ends: whatever holds now (NOT_SERVING on shutdown).
            let now = current(&statuses);
            if now != last {
                let _ = tx.send(Ok(response(now))).await;
            }
            tracing::debug!(service, "health watch ended");
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }
}
