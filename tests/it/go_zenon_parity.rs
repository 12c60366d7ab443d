//! Where the devnet differed from go-zenon's znnd, found running the rollup on znnd (`zr up --l1 znnd`): each
//! answer as go-zenon gives it (its source named), and the rollup's client handling go-zenon's answer.

use std::io::{Read, Write};
use std::net::TcpListener;

use serde_json::json;
use zr_common::nom::BlockType;
use zr_common::nom::rpc::GetRequiredParam;
use zr_common::{Address, KeyPair, TokenStandard};
use zr_sequencing::{L1, L1Error, SendRequest, ZnndClient, send_block, unreceived_from};

use crate::support::{CHAIN, TestNet, eventually};

/// go-zenon answers a block needing more plasma than PoW may pay with its bare `constants.ErrForbiddenParam`
/// ("forbidden parameter", no word of plasma); the devnet once added an explanation, which the client's check
/// relied on, so on znnd such a send failed as an opaque refusal instead of saying how much QSR to fuse.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_beyond_what_pow_pays_gets_go_zenons_bare_answer_and_the_client_says_fuse_qsr() {
    let net = TestNet::start().await;
    let unfused = KeyPair::from_seed(&[0x51; 32]);
    let data = vec![7u8; 16 * 1024];
    let param = GetRequiredParam {
        address: unfused.address(),
        block_type: BlockType::UserSend as u64,
        to_address: Some(Address::INBOX),
        data: data.clone(),
    };
    let answer = net.call("embedded.plasma.getRequiredPoWForAccountBlock", json!([param])).await;
    assert_eq!(answer["error"], json!({ "code": -32000, "message": "forbidden parameter" }), "{answer}");

    let send = SendRequest { to: Address::INBOX, token: TokenStandard::ZNN, amount: 0, data };
    match send_block(net.client().as_ref(), CHAIN, &unfused, send).await {
        Err(err @ L1Error::NeedsFusedPlasma { .. }) => {
            assert!(err.clears_with_next_momentum());
            assert!(err.to_string().contains("fuse QSR"), "{err}");
        }
        other => panic!("expected NeedsFusedPlasma, got {other:?}"),
    }
}

/// go-zenon serves unreceived sends 50 a page, 10 pages at most, from the first 500 of the mailbox in hash
/// order (`rpc/api/ledger.go` `GetUnreceivedBlocksByAddress`); the devnet served 1024 a page, any page, oldest
/// first, so the client read up to 64 pages and on znnd failed at the 11th.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreceived_sends_are_paged_within_go_zenons_bounds_in_hash_order() {
    let net = TestNet::start().await;
    let client = net.client();
    let receiver = KeyPair::from_seed(&[0x52; 32]).address();
    for amount in 1..=3 {
        let send = SendRequest { to: receiver, token: TokenStandard::ZNN, amount, data: vec![] };
        send_block(client.as_ref(), CHAIN, &net.alice, send).await.unwrap();
    }
    let list = async |page: u32, size: u32| {
        net.call("ledger.getUnreceivedBlocksByAddress", json!([receiver, page, size])).await
    };
    eventually(async || list(0, 50).await["result"]["count"] == 3).await;

    let page = list(0, 50).await;
    let hashes: Vec<&str> =
        page["result"]["list"].as_array().unwrap().iter().map(|b| b["hash"].as_str().unwrap()).collect();
    let mut sorted = hashes.clone();
    sorted.sort_unstable();
    assert_eq!(hashes, sorted, "listed in hash order, as go-zenon's mailbox iterates");
    assert_eq!(page["result"]["more"], false);
    assert_eq!(list(0, 51).await["error"], json!({ "code": -32000, "message": "page-size parameter is too big" }));
    assert_eq!(list(10, 50).await["error"], json!({ "code": -32000, "message": "page-index parameter is too big" }));
    assert_eq!(list(9, 50).await["result"]["list"], json!([]), "the 10th page is served, empty");

    let found = unreceived_from(client.as_ref(), &receiver, &net.alice.address()).await.unwrap();
    assert_eq!(found.len(), 3, "the client reads within the bounds");
}

/// go-zenon answers a Host name missing from `RPC.HTTPVirtualHosts` with a plain-text 403 (`node/rpcstack.go`);
/// the devnet checks no Host. The client names the setting rather than "body is not JSON".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_znnd_does_not_serve_is_named_with_the_setting_that_serves_it() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = [0u8; 4096];
        let _ = stream.read(&mut request).unwrap();
        // What Go's http.Error(w, "invalid host specified", http.StatusForbidden) writes.
        let body = "invalid host specified\n";
        let response = format!(
            "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(response.as_bytes()).unwrap();
    });
    let client = ZnndClient::new(format!("http://localhost:{port}"), format!("ws://localhost:{port}")).unwrap();
    let err = client.frontier_momentum().await.unwrap_err();
    server.join().unwrap();
    let text = err.to_string();
    assert!(text.contains("403") && text.contains("HTTPVirtualHosts"), "{text}");
}
