//! The devnet's embedded contracts, as go-zenon's `vm/embedded`: each lives at its own embedded address and
//! decides what a send to it costs, whether it is accepted, and what it does once a momentum confirms it.
//! The chain knows only this seam; the plasma contract and the rollup inbox are its two implementations.
//! The rollup's settlement is the `zr-settlement` library; the inbox feeds it, and the judge gives it a VM.

mod inbox;
mod judge;
mod plasma;

use std::collections::BTreeMap;

use zr_common::nom::AccountBlock;
use zr_common::{Address, AddressKind};

use crate::PublishError;
use crate::state::AccountState;

pub use inbox::RollupInbox;
pub use judge::Judge;
pub use plasma::PlasmaContract;
pub use zr_settlement::{L1View, Payout, Settlement};

/// What a momentum changes: account states (read through to the confirmed ones) and the rollup's
/// settlement.
pub struct Changes<'a> {
    touched: &'a mut BTreeMap<Address, AccountState>,
    confirmed: &'a BTreeMap<Address, AccountState>,
    /// QSR fused in this momentum, by beneficiary (the frontier states follow once it commits).
    pub fused: Vec<(Address, u128)>,
    /// The settlement state as this momentum has it so far.
    pub settlement: &'a mut Settlement,
    /// The height of the momentum being produced.
    pub height: u64,
    /// Withdrawals the inbox pays in this momentum (already debited from its balance).
    pub payouts: Vec<Payout>,
    /// The momentums L1 holds, for recording claims.
    pub l1: &'a dyn L1View,
}

impl<'a> Changes<'a> {
    pub(crate) fn new(
        touched: &'a mut BTreeMap<Address, AccountState>,
        confirmed: &'a BTreeMap<Address, AccountState>,
        settlement: &'a mut Settlement,
        height: u64,
        l1: &'a dyn L1View,
    ) -> Self {
        Changes { touched, confirmed, fused: Vec::new(), settlement, height, payouts: Vec::new(), l1 }
    }

    /// Applies a send to the inbox (`zr_settlement::inbox::apply_send`), its funds the inbox's state as this
    /// momentum has it so far: a withdrawal to pay now, already debited.
    pub fn apply_to_inbox(&mut self, block: &AccountBlock) -> Option<Payout> {
        let confirmed = self.confirmed;
        let inbox = self
            .touched
            .entry(Address::INBOX)
            .or_insert_with(|| confirmed.get(&Address::INBOX).cloned().unwrap_or_default());
        zr_settlement::inbox::apply_send(self.settlement, block, self.height, self.l1, inbox)
    }

    /// The state of `address` as this momentum has it so far, for changing.
    pub fn state(&mut self, address: &Address) -> &mut AccountState {
        let confirmed = self.confirmed;
        self.touched.entry(*address).or_insert_with(|| confirmed.get(address).cloned().unwrap_or_default())
    }
}

/// An embedded contract.
pub trait EmbeddedContract: Send + Sync {
    /// Its address.
    fn address(&self) -> Address;

    /// The plasma a send with `data` needs, or why the call is refused (go-zenon checks the ABI here).
    fn base_plasma(&self, data: &[u8]) -> Result<u64, PublishError>;

    /// Checks a send to the contract at publish time (amounts, tokens), beyond what every block must satisfy.
    fn check_send(&self, block: &AccountBlock) -> Result<(), PublishError>;

    /// Applies a send confirmed in a momentum being produced.
    fn on_confirmed(&self, block: &AccountBlock, changes: &mut Changes<'_>);
}

static PLASMA: PlasmaContract = PlasmaContract;
static INBOX: RollupInbox = RollupInbox;

/// The embedded contract at `address`, if any. `Err` for an embedded address no contract lives at.
pub fn at(address: &Address) -> Result<Option<&'static dyn EmbeddedContract>, PublishError> {
    let contracts: [&'static dyn EmbeddedContract; 2] = [&PLASMA, &INBOX];
    match contracts.into_iter().find(|c| c.address() == *address) {
        Some(contract) => Ok(Some(contract)),
        None if address.kind() == Some(AddressKind::Embedded) => Err(PublishError::new("contract doesn't exist")),
        None => Ok(None),
    }
}
