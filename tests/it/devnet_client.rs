//! The znnd client against a real devnet: publish, follow, subscribe, restart.

use std::time::Duration;

use zr_common::nom::plasma;
use zr_common::nom::{AccountBlock, BlockType, HashHeight};
use zr_common::{Address, TokenStandard};
use zr_sequencing::{L1, SendRequest, follow, inbox_blocks, send_block};

use crate::support::{CHAIN, TestNet, confirmation_of, eventually};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_with_data_is_confirmed_seen_over_websocket_and_survives_restart() {
    let mut net = TestNet::start().await;
    let client = net.client();

    // A subscription sees new momentums as they are produced.
    let mut subscription = client.subscribe_momentums().await.unwrap();
    let first = tokio::time::timeout(Duration::from_secs(10), subscription.events.recv()).await.unwrap().unwrap();
    assert!(first.height >= 2);

    let data = vec![0xab; 16 * 1024];
    let block = send_block(
        client.as_ref(),
        CHAIN,
        &net.alice,
        SendRequest { to: Address::INBOX, token: TokenStandard::ZNN, amount: 5, data: data.clone() },
    )
    .await
    .unwrap();

    // Wait for the notification of the momentum that confirms it, then read it by height.
    let confirmed = loop {
        let event = tokio::time::timeout(Duration::from_secs(10), subscription.events.recv()).await.unwrap().unwrap();
        let detailed = client.detailed_momentums(event.height, 1).await.unwrap().remove(0);
        assert_eq!(detailed.momentum.momentum.hash, event.hash);
        if detailed.blocks.iter().any(|b| b.block.hash == block.hash) {
            break detailed;
        }
    };
    let inbox: Vec<_> = inbox_blocks(&confirmed, &Address::INBOX).collect();
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].data, data);
    assert_eq!(inbox[0].compute_hash(), block.hash);
    let rpc_block = &confirmed.blocks[0];
    assert_eq!(rpc_block.confirmation_detail.as_ref().unwrap().momentum_height, confirmed.momentum.momentum.height);

    let height = confirmed.momentum.momentum.height;
    let before = confirmed.momentum.momentum.clone();
    net.restart().await;
    let client = net.client();
    let after = client.detailed_momentums(height, 1).await.unwrap().remove(0);
    assert_eq!(after.momentum.momentum, before);
    assert_eq!(after.momentum.momentum.hash, before.compute_hash());
    assert_eq!(after.blocks[0].block.data, data);
    // The chain goes on from where it was.
    eventually(async || client.frontier_momentum().await.unwrap().height > height + 2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn momentums_are_hashed_signed_linked_and_capped_like_nom() {
    let net = TestNet::start().await;
    let client = net.client();
    // 150 blocks: more than one momentum can hold.
    let mut hashes = Vec::new();
    for i in 0..150u8 {
        let block = send_block(
            client.as_ref(),
            CHAIN,
            &net.alice,
            SendRequest { to: Address::INBOX, token: TokenStandard::ZERO, amount: 0, data: vec![0xf0, i] },
        )
        .await
        .unwrap();
        hashes.push(block.hash);
    }
    let mut follower = follow(client.clone(), 1);
    let mut previous: Option<zr_common::nom::Momentum> = None;
    let mut seen = 0;
    while seen < hashes.len() {
        let detailed = tokio::time::timeout(Duration::from_secs(20), follower.next()).await.unwrap().unwrap();
        let m = &detailed.momentum.momentum;
        assert_eq!(m.compute_hash(), m.hash);
        assert!(m.content.len() <= 100);
        assert_eq!(detailed.blocks.len(), m.content.len());
        if let Some(prev) = &previous {
            assert_eq!(m.previous_hash, prev.hash);
            assert_eq!(m.height, prev.height + 1);
            assert!(m.timestamp > prev.timestamp);
            let key = m.producer_key().unwrap();
            key.verify(&m.hash, &zr_common::Signature::from_slice(&m.signature).unwrap()).unwrap();
            assert_eq!(key, net.pillar.public());
            assert_eq!(detailed.momentum.producer, net.pillar.address());
        }
        seen += detailed.blocks.iter().filter(|b| hashes.contains(&b.block.hash)).count();
        previous = Some(m.clone());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_and_receive_move_balances_and_pow_pays_plasma() {
    let net = TestNet::start().await;
    let client = net.client();
    let bob = net.bob.address();
    let before = client.account_info(&bob).await.unwrap().balance(&TokenStandard::ZNN);

    // Bob has no fused QSR: his send is paid by PoW.
    assert_eq!(client.plasma(&bob).await.unwrap().current_plasma, 0);
    let send = send_block(
        client.as_ref(),
        CHAIN,
        &net.bob,
        SendRequest { to: net.alice.address(), token: TokenStandard::ZNN, amount: 100, data: vec![] },
    )
    .await
    .unwrap();
    assert_eq!(send.fused_plasma, 0);
    assert_eq!(send.difficulty, plasma::difficulty_for_plasma(plasma::BASE_PLASMA_PER_BLOCK));
    assert_eq!(client.account_info(&bob).await.unwrap().balance(&TokenStandard::ZNN), before - 100);

    let mut follower = follow(client.clone(), 1);
    let confirmed = confirmation_of(&mut follower, send.hash).await;

    // Alice receives it, paying with fused plasma.
    let alice = net.alice.address();
    let alice_before = client.account_info(&alice).await.unwrap().balance(&TokenStandard::ZNN);
    let frontier = client.frontier_block(&alice).await.unwrap().unwrap();
    let acknowledged =
        HashHeight { hash: confirmed.momentum.momentum.hash, height: confirmed.momentum.momentum.height };
    let mut receive = AccountBlock {
        from_block_hash: send.hash,
        fused_plasma: plasma::BASE_PLASMA_PER_BLOCK,
        ..AccountBlock::next(CHAIN, BlockType::UserReceive, alice, Some(&frontier), acknowledged)
    };
    receive.sign(&net.alice);
    client.publish(&receive).await.unwrap();
    assert_eq!(client.account_info(&alice).await.unwrap().balance(&TokenStandard::ZNN), alice_before + 100);
    // The same send cannot be received twice.
    let mut again = receive.clone();
    again.previous_hash = receive.hash;
    again.height += 1;
    again.sign(&net.alice);
    let err = client.publish(&again).await.unwrap_err().to_string();
    assert!(err.contains("already received"), "{err}");

    let confirmed = confirmation_of(&mut follower, receive.hash).await;
    let paired = confirmed.blocks.iter().find(|b| b.block.hash == receive.hash).unwrap();
    assert_eq!(paired.paired_account_block.as_ref().unwrap().block.hash, send.hash);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fusing_qsr_gives_plasma_after_confirmation() {
    let net = TestNet::start().await;
    let client = net.client();
    let bob = net.bob.address();
    // Alice fuses QSR for Bob (the Fuse call names the beneficiary) and pays with her own fused plasma.
    let fuse = send_block(
        client.as_ref(),
        CHAIN,
        &net.alice,
        SendRequest {
            to: Address::PLASMA,
            token: TokenStandard::QSR,
            amount: 20 * plasma::QSR_UNIT,
            data: plasma::fuse_call_data(&bob),
        },
    )
    .await
    .unwrap();
    // The fuse call costs 52 500 plasma.
    assert_eq!((fuse.fused_plasma, fuse.difficulty), (plasma::EMBEDDED_SIMPLE_PLASMA, 0));
    eventually(async || client.plasma(&bob).await.unwrap().max_plasma == 20 * plasma::PLASMA_PER_FUSED_QSR).await;
    let info = client.plasma(&bob).await.unwrap();
    assert_eq!(info.qsr_amount, 20 * plasma::QSR_UNIT);
    assert_eq!(info.current_plasma, 42_000);
    // Now a plain send is paid from fused plasma.
    let send = send_block(
        client.as_ref(),
        CHAIN,
        &net.bob,
        SendRequest { to: Address::INBOX, token: TokenStandard::ZERO, amount: 0, data: vec![] },
    )
    .await
    .unwrap();
    assert_eq!((send.fused_plasma, send.difficulty), (21_000, 0));
    assert_eq!(client.plasma(&bob).await.unwrap().current_plasma, 21_000);
}
