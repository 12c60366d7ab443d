//! An NFT collection: the deployer names it and mints tokens with metadata URIs; holders transfer them,
//! approve one spender per token or an operator for all their tokens. Without a heap: names and URIs are
//! borrowed from the input and read back from storage.
#![no_std]

use zr_sdk::{caller, get_address, get_u64, load, set_u64, storage_bytes, storage_remove, storage_set, store, Address, Key};

zr_sdk::panic_handler!();

const OWNER: &[u8] = b"owner";
const NAME: &[u8] = b"name";
const SYMBOL: &[u8] = b"symbol";
const MINTED: &[u8] = b"minted";

zr_sdk::events! {
    /// Token `id` moved from `from` to `to` (from the zero address when minted).
    Transfer { from: Address, to: Address, id: u64 }
    /// `owner` let `spender` move token `id` (the zero address clears it).
    Approval { owner: Address, spender: Address, id: u64 }
    /// `owner` let `operator` move all its tokens, or stopped it.
    ApprovalForAll { owner: Address, operator: Address, approved: bool }
}

type Result<T> = core::result::Result<T, &'static str>;

fn token_key(prefix: &[u8], id: u64) -> Key {
    let mut key = Key::new(prefix);
    key.push(&id.to_le_bytes());
    key
}

fn operator_key(owner: &Address, operator: &Address) -> Key {
    let mut key = Key::new(b"op");
    key.push(owner).push(operator);
    key
}

fn count_key(owner: &Address) -> Key {
    let mut key = Key::new(b"n");
    key.push(owner);
    key
}

fn owner_of_token(id: u64) -> Result<Address> {
    get_address(token_key(b"o", id).as_bytes()).ok_or("no such token")
}

fn is_operator(owner: &Address, operator: &Address) -> bool {
    load::<bool>(operator_key(owner, operator).as_bytes()).unwrap_or(false)
}

fn move_token(from: Address, to: Address, id: u64) {
    storage_set(token_key(b"o", id).as_bytes(), &to);
    storage_remove(token_key(b"a", id).as_bytes());
    if from != [0; 20] {
        let key = count_key(&from);
        set_u64(key.as_bytes(), get_u64(key.as_bytes()) - 1);
    }
    let key = count_key(&to);
    set_u64(key.as_bytes(), get_u64(key.as_bytes()) + 1);
    Transfer { from, to, id }.emit();
}

zr_sdk::contract! {
    /// Names the collection; the deployer alone mints.
    pub fn init(name: &str, symbol: &str) -> Result<()> {
        if name.len() > 64 || symbol.len() > 16 {
            return Err("a name is at most 64 bytes and a symbol 16");
        }
        storage_set(OWNER, &caller());
        storage_set(NAME, name.as_bytes());
        storage_set(SYMBOL, symbol.as_bytes());
        Ok(())
    }

    /// Mints the next token to `to` with its metadata URI; returns its id (from 1).
    pub fn mint(to: Address, uri: &str) -> Result<u64> {
        if get_address(OWNER) != Some(caller()) {
            return Err("only the collection's owner mints");
        }
        if uri.len() > 512 {
            return Err("a URI is at most 512 bytes");
        }
        if to == [0; 20] {
            return Err("tokens cannot go to the zero address");
        }
        let id = get_u64(MINTED) + 1;
        set_u64(MINTED, id);
        storage_set(token_key(b"u", id).as_bytes(), uri.as_bytes());
        move_token([0; 20], to, id);
        Ok(id)
    }

    /// Moves token `id` from `from` to `to`: by its owner, its approved spender or an operator of the owner.
    pub fn transfer_from(from: Address, to: Address, id: u64) -> Result<()> {
        let owner = owner_of_token(id)?;
        if owner != from {
            return Err("`from` does not own the token");
        }
        let by = caller();
        let approved = get_address(token_key(b"a", id).as_bytes()) == Some(by);
        if by != owner && !approved && !is_operator(&owner, &by) {
            return Err("not the token's owner, approved spender or an operator");
        }
        if to == [0; 20] {
            return Err("tokens cannot go to the zero address");
        }
        move_token(from, to, id);
        Ok(())
    }

    /// Lets `spender` move token `id` (the owner or an operator); the zero address clears it.
    pub fn approve(spender: Address, id: u64) -> Result<()> {
        let owner = owner_of_token(id)?;
        let by = caller();
        if by != owner && !is_operator(&owner, &by) {
            return Err("not the token's owner or an operator");
        }
        let key = token_key(b"a", id);
        if spender == [0; 20] {
            storage_remove(key.as_bytes());
        } else {
            storage_set(key.as_bytes(), &spender);
        }
        Approval { owner, spender, id }.emit();
        Ok(())
    }

    /// Lets `operator` move all the caller's tokens, or stops it.
    pub fn set_approval_for_all(operator: Address, approved: bool) {
        let owner = caller();
        let key = operator_key(&owner, &operator);
        if approved {
            store(key.as_bytes(), &true);
        } else {
            storage_remove(key.as_bytes());
        }
        ApprovalForAll { owner, operator, approved }.emit();
    }

    /// Who holds token `id`.
    #[view]
    pub fn owner_of(id: u64) -> Result<Address> {
        owner_of_token(id)
    }

    /// How many tokens `owner` holds.
    #[view]
    pub fn balance_of(owner: Address) -> u64 {
        get_u64(count_key(&owner).as_bytes())
    }

    /// Token `id`'s metadata URI.
    #[view]
    pub fn token_uri(id: u64) -> Result<&'static str> {
        let bytes = storage_bytes(token_key(b"u", id).as_bytes()).ok_or("no such token")?;
        core::str::from_utf8(bytes).map_err(|_| "a stored URI is not UTF-8")
    }

    /// Who may move token `id` besides its owner and operators (the zero address for nobody).
    #[view]
    pub fn approved(id: u64) -> Result<Address> {
        owner_of_token(id)?;
        Ok(get_address(token_key(b"a", id).as_bytes()).unwrap_or([0; 20]))
    }

    /// Whether `operator` may move all of `owner`'s tokens.
    #[view]
    pub fn is_approved_for_all(owner: Address, operator: Address) -> bool {
        is_operator(&owner, &operator)
    }

    /// The collection's name and symbol.
    #[view]
    pub fn collection() -> (&'static str, &'static str) {
        let text = |key| storage_bytes(key).and_then(|b| core::str::from_utf8(b).ok()).unwrap_or("");
        (text(NAME), text(SYMBOL))
    }

    /// Tokens minted so far.
    #[view]
    pub fn minted() -> u64 {
        get_u64(MINTED)
    }
}
