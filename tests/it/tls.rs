//! The znnd client over TLS: a local TLS endpoint with a self-signed certificate in front of the devnet's HTTP
//! and WebSocket ports (a real rustls server, bytes forwarded to the devnet). With the certificate in
//! `l1.ca_file` the client calls over https and subscribes over wss, and an executor daemon (a child process)
//! follows the L1 through it; without it the connection is refused naming the certificate.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::{TcpListener, TcpStream};
use zr_common::KeyPair;
use zr_common::rollup::TxKind;
use zr_rpc_api::RollupStateApiClient;
use zr_sequencing::{L1, ZnndClient};

use crate::rollup_support::*;
use crate::support::{TestNet, spawn_announced};

/// A TLS listener on loopback that forwards each connection's plain bytes to `upstream`; returns its address.
async fn tls_proxy(acceptor: tokio_rustls::TlsAcceptor, upstream: SocketAddr) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A client that refuses the certificate ends the handshake: nothing to forward then.
                let Ok(mut tls) = acceptor.accept(socket).await else { return };
                let Ok(mut plain) = TcpStream::connect(upstream).await else { return };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    address
}

/// A self-signed certificate for 127.0.0.1 and localhost, written as PEM to `dir/node.pem`; the acceptor
/// serving it.
fn self_signed(dir: &Path) -> (std::path::PathBuf, tokio_rustls::TlsAcceptor) {
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    let pem = dir.join("node.pem");
    std::fs::write(&pem, certified.cert.pem()).unwrap();
    let chain = vec![CertificateDer::from(certified.cert.der().to_vec())];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.key_pair.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    (pem, tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

fn socket_of(url: &str) -> SocketAddr {
    url.split("://").nth(1).unwrap().trim_end_matches('/').parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_l1_is_followed_over_https_and_wss() {
    let net = TestNet::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (pem, acceptor) = self_signed(dir.path());
    let https = tls_proxy(acceptor.clone(), socket_of(&net.handle().http_url())).await;
    let wss = tls_proxy(acceptor, socket_of(&net.handle().ws_url())).await;
    let (https, wss) = (format!("https://{https}"), format!("wss://{wss}"));

    // Trusting the certificate: calls and the momentum subscription go through TLS.
    let client = ZnndClient::with_ca_file(&https, &wss, Some(&pem)).unwrap();
    let frontier = client.frontier_momentum().await.unwrap();
    let mut subscription = client.subscribe_momentums().await.unwrap();
    let event = tokio::time::timeout(Duration::from_secs(10), subscription.events.recv()).await.unwrap().unwrap();
    assert!(event.height > frontier.height, "a momentum after {} arrived over wss", frontier.height);

    // Not trusting it (Mozilla's roots only): refused, and the error says why.
    let stranger = ZnndClient::new(&https, &wss).unwrap();
    let err = stranger.frontier_momentum().await.unwrap_err().to_string();
    assert!(err.contains(&https) && err.contains("invalid peer certificate: UnknownIssuer"), "{err}");
    let err = stranger.subscribe_momentums().await.err().expect("wss refused").to_string();
    assert!(err.to_lowercase().contains("certificate"), "{err}");

    // An executor daemon configured with `--l1-ca-file` follows the L1 over https/wss and executes a deposit.
    let key = KeyPair::from_seed(&[9; 32]);
    let config = executor_config(&net, &key, dir.path());
    let (child, announced) = spawn_announced(executor_command(&config, &https, &wss).args([
        "--l1-ca-file",
        pem.to_str().unwrap(),
        "--claim-every",
        "0",
    ]));
    let url = announced["rpc"].as_str().unwrap().to_owned();
    let alice = net.alice.clone();
    post_data(&net, &alice, vec![], 5_000_000_000).await;
    let deposit =
        sign(&alice, 0, TxKind::Transfer { to: net.bob.address(), token: zr_common::TokenStandard::ZNN, amount: 1 });
    post(&net, &alice, vec![deposit.clone()]).await;
    executed(&url, &deposit.hash()).await;
    assert_eq!(api(&url).get_balance(net.bob.address(), None).await.unwrap().znn, 1);
    drop(child);

    // A CA file that is not PEM stops the daemon at start with the file named.
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "junk").unwrap();
    let other = zr_config::ExecutorConfig { data_dir: dir.path().join("other"), ..config };
    let out = executor_command(&other, &https, &wss).args(["--l1-ca-file", junk.to_str().unwrap()]).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("junk.pem") && stderr.contains("no PEM certificate"), "{stderr}");
}
