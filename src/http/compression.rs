//! Compression of answers (gzip, Brotli or zstd, as `Accept-Encoding` prefers) above
//! `COMPRESSION_MIN_BYTES`. A compressed answer is another representation of the same data, so its
//! entity tag becomes weak (`W/"..."`), as RFC 9110 asks; `If-None-Match` compares tags weakly and
//! still revalidates it.

use axum::http::header::{CONTENT_ENCODING, ETAG};
use axum::http::{HeaderValue, Response};
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};

/// Answers smaller than this go out uncompressed: below about a kilobyte the encoding's framing and the
/// CPU cost outweigh the bytes saved.
const COMPRESSION_MIN_BYTES: u16 = 1024;

pub fn layer() -> CompressionLayer<impl Predicate> {
    let predicate = SizeAbove::new(COMPRESSION_MIN_BYTES).and(NotForContentType::SSE);
    // Deflate adds nothing over gzip, which every client has.
    CompressionLayer::new().gzip(true).br(true).zstd(true).no_deflate().compress_when(predicate)
}

/// Makes the entity tag of a compressed answer weak.
pub async fn weaken_etag<B>(mut response: Response<B>) -> Response<B> {
    if !response.headers().contains_key(CONTENT_ENCODING) {
        return response;
    }
    let weak = response
        .headers()
        .get(ETAG)
        .and_then(|tag| tag.to_str().ok())
        .filter(|tag| !tag.starts_with("W/"))
        .and_then(|tag| HeaderValue::from_str(&format!("W/{tag}")).ok());
    if let Some(weak) = weak {
        response.headers_mut().insert(ETAG, weak);
    }
    response
}
