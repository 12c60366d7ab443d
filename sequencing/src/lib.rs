//! The L1 seam: the [`L1`] trait the rest of zrollup uses to read and write NoM, an adapter for go-zenon's
//! znnd JSON-RPC ([`ZnndClient`], which also drives `zr-devnet`), a follower that streams momentums with
//! their account blocks from a height, and a helper that builds, pays for (fused plasma or PoW), signs and
//! publishes account blocks. The bundle format and the ordering rule are `zr-inbox`'s, re-exported here.

mod check;
mod error;
mod follow;
mod l1;
mod poster;
mod publish;
mod tls;
mod znnd;

pub use check::{MomentumError, check_momentum};
pub use error::{L1Error, Refusal};
pub use follow::{Follower, follow, inbox_blocks};
pub use l1::{L1, MomentumSubscription, UNRECEIVED_PAGE};
pub use poster::{PostSlot, Poster};
pub use publish::{
    MAX_UNRECEIVED_PAGES, POW_LIMIT_MESSAGE, SendRequest, build_send_block, receive_block, receive_from, send_block,
    unreceived_from,
};
pub use znnd::ZnndClient;
pub use zr_inbox::{
    Ordered, Sequenced, Signatures, Verified, bundle, bundle_signatures, canonical_order, locks_amount, order,
    order_verified, sender_rank, verify_inbox, verify_inbox_with,
};
pub use zr_protocol::Deposit;
