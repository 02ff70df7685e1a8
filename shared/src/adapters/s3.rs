//! Logos in the logo bucket: one object per upload, `logos/<partner>/<logo id>.<ext>`, stored
//! with its content type. The bucket is private; the API serves the bytes.

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::primitives::ByteStream;

use crate::domain::{Logo, PartnerId};
use crate::ports::{LogoStore, StoreError};

pub struct S3Logos {
    client: Client,
    bucket: String,
}

impl S3Logos {
    pub fn new(client: Client, bucket: String) -> Self {
        Self { client, bucket }
    }
}

fn object_key(partner: &PartnerId, logo: &Logo) -> String {
    format!("logos/{partner}/{}.{}", logo.id, logo.format.extension())
}

fn unavailable(err: impl std::error::Error) -> StoreError {
    StoreError::Unavailable(DisplayErrorContext(&err).to_string())
}

#[async_trait]
impl LogoStore for S3Logos {
    async fn put_logo(&self, partner: &PartnerId, logo: &Logo, bytes: &[u8]) -> Result<(), StoreError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(object_key(partner, logo))
            .content_type(logo.format.content_type())
            .cache_control("public, max-age=31536000, immutable")
            .body(ByteStream::from(bytes.to_vec()))
            .send()
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    async fn logo(&self, partner: &PartnerId, logo: &Logo) -> Result<Option<Vec<u8>>, StoreError> {
        let result = self.client.get_object().bucket(&self.bucket).key(object_key(partner, logo)).send().await;
        match result {
            Ok(out) => {
                let bytes = out.body.collect().await.map_err(|e| StoreError::Unavailable(e.to_string()))?;
                Ok(Some(bytes.to_vec()))
            }
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn delete_logo(&self, partner: &PartnerId, logo: &Logo) -> Result<(), StoreError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(object_key(partner, logo))
            .send()
            .await
            .map(|_| ())
            .map_err(unavailable)
    }
}
