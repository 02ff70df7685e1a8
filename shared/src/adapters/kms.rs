//! The access-token signer: an asymmetric KMS key (ECC_NIST_P256, SIGN_VERIFY). The private
//! key never leaves KMS; the public key is fetched once per execution environment.

use async_trait::async_trait;
use aws_sdk_kms::error::DisplayErrorContext;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{MessageType, SigningAlgorithmSpec};
use p256::pkcs8::DecodePublicKey as _;
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

use crate::ports::{SignerError, SigningJwk, TokenSigner};

/// KMS signs a RAW message of at most 4096 bytes; a longer one is sent as its SHA-256 digest.
const KMS_RAW_LIMIT: usize = 4096;

pub struct KmsSigner {
    client: aws_sdk_kms::Client,
    key_id: String,
    public: OnceCell<SigningJwk>,
}

impl KmsSigner {
    pub fn new(client: aws_sdk_kms::Client, key_id: String) -> Self {
        Self { client, key_id, public: OnceCell::new() }
    }
}

fn failed<E: std::error::Error + 'static>(what: &str, e: E) -> SignerError {
    SignerError(format!("{what}: {}", DisplayErrorContext(&e)))
}

#[async_trait]
impl TokenSigner for KmsSigner {
    async fn public_jwk(&self) -> Result<SigningJwk, SignerError> {
        self.public
            .get_or_try_init(|| async {
                let out = self
                    .client
                    .get_public_key()
                    .key_id(&self.key_id)
                    .send()
                    .await
                    .map_err(|e| failed("KMS GetPublicKey", e))?;
                let der = out.public_key().ok_or_else(|| SignerError("KMS returned no public key".into()))?;
                let key = p256::PublicKey::from_public_key_der(der.as_ref())
                    .map_err(|e| SignerError(format!("the KMS key is not a P-256 key: {e}")))?;
                Ok(SigningJwk::p256(&key))
            })
            .await
            .cloned()
    }

    async fn sign_es256(&self, signing_input: &[u8]) -> Result<Vec<u8>, SignerError> {
        let (message, kind) = if signing_input.len() <= KMS_RAW_LIMIT {
            (signing_input.to_vec(), MessageType::Raw)
        } else {
            (Sha256::digest(signing_input).to_vec(), MessageType::Digest)
        };
        let out = self
            .client
            .sign()
            .key_id(&self.key_id)
            .message(Blob::new(message))
            .message_type(kind)
            .signing_algorithm(SigningAlgorithmSpec::EcdsaSha256)
            .send()
            .await
            .map_err(|e| failed("KMS Sign", e))?;
        let der = out.signature().ok_or_else(|| SignerError("KMS returned no signature".into()))?;
        // KMS answers in DER (RFC 3279); a JWS carries r and s as two 32-byte halves (RFC 7518 §3.4).
        let signature = p256::ecdsa::Signature::from_der(der.as_ref())
            .map_err(|e| SignerError(format!("KMS returned no P-256 signature: {e}")))?;
        Ok(signature.to_bytes().to_vec())
    }
}
