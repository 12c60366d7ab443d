//! TLS for the znnd client: one rustls configuration for both the HTTPS calls and the WSS subscription, so a
//! relay, executor or challenger can follow a public NoM node. Mozilla's roots are compiled in (no system
//! store needed); an operator adds a PEM file for a node with a self-signed or private-CA certificate.

use std::path::Path;
use std::sync::Arc;

use rustls::RootCertStore;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use crate::L1Error;

/// The client configuration: Mozilla's roots, plus every certificate in `extra_roots` (PEM) if given.
pub(crate) fn client_config(extra_roots: Option<&Path>) -> Result<Arc<rustls::ClientConfig>, L1Error> {
    let mut roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    if let Some(path) = extra_roots {
        let invalid = |reason: String| L1Error::Invalid(format!("l1.ca_file {}: {reason}", path.display()));
        let certificates: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .map_err(|e| invalid(e.to_string()))?
            .collect::<Result<_, _>>()
            .map_err(|e| invalid(e.to_string()))?;
        if certificates.is_empty() {
            return Err(invalid("holds no PEM certificate".into()));
        }
        for certificate in certificates {
            roots.add(certificate).map_err(|e| invalid(format!("not a usable root certificate: {e}")))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| L1Error::Invalid(format!("TLS setup: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_empty_ca_file_is_named() {
        let dir = std::env::temp_dir().join(format!("zr-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let missing = dir.join("missing.pem");
        let err = client_config(Some(&missing)).unwrap_err().to_string();
        assert!(err.contains("l1.ca_file") && err.contains("missing.pem"), "{err}");

        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let err = client_config(Some(&empty)).unwrap_err().to_string();
        assert!(err.contains("holds no PEM certificate"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_default_trusts_mozillas_roots() {
        client_config(None).unwrap();
        assert!(webpki_roots::TLS_SERVER_ROOTS.len() > 100);
    }
}
