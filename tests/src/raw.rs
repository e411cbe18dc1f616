//! A generic gRPC client that knows nothing of Regie's API beforehand: it learns services and
//! message types through server reflection and calls methods with dynamic messages — what
//! grpcurl or a Python client with reflection does. The tests use it to show that the address
//! alone is enough to use the server.

use std::collections::{BTreeMap, BTreeSet};

use prost::Message as _;
use prost::bytes::{Buf as _, BufMut as _};
use prost_reflect::{DescriptorPool, DynamicMessage};
use tokio_stream::StreamExt as _;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::Channel;
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

/// Passes encoded messages through untouched.
#[derive(Debug, Clone, Default)]
pub struct BytesCodec;

#[derive(Debug, Clone, Default)]
pub struct BytesCoder;

impl Codec for BytesCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = BytesCoder;
    type Decoder = BytesCoder;

    fn encoder(&mut self) -> Self::Encoder {
        BytesCoder
    }

    fn decoder(&mut self) -> Self::Decoder {
        BytesCoder
    }
}

impl Encoder for BytesCoder {
    type Item = Vec<u8>;
    type Error = tonic::Status;

    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), tonic::Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for BytesCoder {
    type Item = Vec<u8>;
    type Error = tonic::Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, tonic::Status> {
        let bytes = src.copy_to_bytes(src.remaining());
        Ok(Some(bytes.to_vec()))
    }
}

/// A reflection session on one channel.
pub struct Reflection {
    client: ServerReflectionClient<Channel>,
}

impl Reflection {
    pub fn new(channel: Channel) -> Self {
        Self {
            client: ServerReflectionClient::new(channel),
        }
    }

    async fn ask(&mut self, request: MessageRequest) -> anyhow::Result<MessageResponse> {
        let request = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(request),
        };
        let mut responses = self
            .client
            .server_reflection_info(tokio_stream::iter([request]))
            .await?
            .into_inner();
        let response = responses
            .next()
            .await
            .ok_or_else(|| anyhow::anyhow!("no reflection response"))??;
        match response.message_response {
            Some(MessageResponse::ErrorResponse(e)) => {
                anyhow::bail!("reflection error {}: {}", e.error_code, e.error_message)
            }
            Some(other) => Ok(other),
            None => anyhow::bail!("empty reflection response"),
        }
    }

    /// The fully-qualified names of every service the server offers.
    pub async fn services(&mut self) -> anyhow::Result<Vec<String>> {
        match self
            .ask(MessageRequest::ListServices(String::new()))
            .await?
        {
            MessageResponse::ListServicesResponse(list) => {
                Ok(list.service.into_iter().map(|s| s.name).collect())
            }
            other => anyhow::bail!("unexpected reflection response {other:?}"),
        }
    }

    /// A descriptor pool with the file that defines `symbol` and everything it imports, all
    /// fetched from the server.
    pub async fn pool_for(&mut self, symbol: &str) -> anyhow::Result<DescriptorPool> {
        let mut files: BTreeMap<String, prost_types::FileDescriptorProto> = BTreeMap::new();
        let mut wanted: BTreeSet<String> = BTreeSet::new();
        let mut request = Some(MessageRequest::FileContainingSymbol(symbol.to_owned()));
        while let Some(next) = request.take() {
            let MessageResponse::FileDescriptorResponse(response) = self.ask(next).await? else {
                anyhow::bail!("unexpected reflection response");
            };
            for raw in response.file_descriptor_proto {
                let file = prost_types::FileDescriptorProto::decode(raw.as_slice())?;
                wanted.extend(file.dependency.iter().cloned());
                files.insert(file.name().to_owned(), file);
            }
            request = wanted
                .iter()
                .find(|name| !files.contains_key(*name))
                .cloned()
                .map(MessageRequest::FileByFilename);
        }
        let mut pool = DescriptorPool::new();
        pool.add_file_descriptor_protos(files.into_values())?;
        Ok(pool)
    }
}

/// Calls a unary method by its full name (`package.Service/Method`) with a JSON request, using
/// only descriptors fetched by reflection; returns the response as JSON.
pub async fn call_json(
    channel: Channel,
    token: Option<&str>,
    method: &str,
    request_json: &str,
) -> anyhow::Result<serde_json::Value> {
    let (service, method_name) = method
        .split_once('/')
        .ok_or_else(|| anyhow::anyhow!("method must be Service/Method"))?;
    let pool = Reflection::new(channel.clone()).pool_for(service).await?;
    let service_descriptor = pool
        .get_service_by_name(service)
        .ok_or_else(|| anyhow::anyhow!("{service} not in the reflected pool"))?;
    let method_descriptor = service_descriptor
        .methods()
        .find(|m| m.name() == method_name)
        .ok_or_else(|| anyhow::anyhow!("{service} has no method {method_name}"))?;
    let mut deserializer = serde_json::Deserializer::from_str(request_json);
    let request = DynamicMessage::deserialize(method_descriptor.input(), &mut deserializer)?;

    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await?;
    let path = PathAndQuery::try_from(format!("/{service}/{method_name}"))?;
    let response = grpc
        .unary(with_token(request.encode_to_vec(), token), path, BytesCodec)
        .await?;
    let message =
        DynamicMessage::decode(method_descriptor.output(), response.into_inner().as_slice())?;
    Ok(serde_json::to_value(&message)?)
}

fn with_token(body: Vec<u8>, token: Option<&str>) -> tonic::Request<Vec<u8>> {
    let mut request = tonic::Request::new(body);
    if let Some(token) = token
        && let Ok(value) = format!("Bearer {token}").parse()
    {
        request.metadata_mut().insert("authorization", value);
    }
    request
}

/// Calls `path` (`/package.Service/Method`) with raw request bytes and returns the status the
/// server answered with (OK as well). For unary methods only; a server-streaming method answers
/// its first error the same way, which is what access tests look at.
pub async fn call_bytes(
    channel: Channel,
    token: Option<&str>,
    path: &str,
    body: Vec<u8>,
    streaming: bool,
) -> tonic::Status {
    let mut grpc = tonic::client::Grpc::new(channel);
    if let Err(e) = grpc.ready().await {
        return tonic::Status::unavailable(e.to_string());
    }
    let Ok(path) = PathAndQuery::try_from(path.to_owned()) else {
        return tonic::Status::invalid_argument("bad path");
    };
    let request = with_token(body, token);
    if streaming {
        match grpc.server_streaming(request, path, BytesCodec).await {
            Ok(_) => tonic::Status::ok(""),
            Err(status) => status,
        }
    } else {
        match grpc.unary(request, path, BytesCodec).await {
            Ok(_) => tonic::Status::ok(""),
            Err(status) => status,
        }
    }
}
