//! `zr key new|show|import`.

use std::io::Read;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use eyre::{Context, bail};
use serde_json::json;
use zr_common::KeyPair;
use zr_common::mnemonic::nom_key_from_mnemonic;

use crate::output::Output;

/// Which key file to use.
#[derive(Args, Clone)]
pub struct KeyFileArg {
    /// Key file [default: $ZR_HOME/keys/default.json, $ZR_HOME defaults to ~/.zr]
    #[arg(id = "key_file", long = "key", env = "ZR_KEY", value_name = "FILE", global = true)]
    pub file: Option<PathBuf>,
}

impl KeyFileArg {
    /// The key file path.
    pub fn path(&self) -> eyre::Result<PathBuf> {
        match &self.file {
            Some(path) => Ok(path.clone()),
            None => Ok(zr_home()?.join("keys").join("default.json")),
        }
    }

    /// Loads the key.
    pub fn load(&self) -> eyre::Result<KeyPair> {
        let path = self.path()?;
        KeyPair::read_file(&path).wrap_err("cannot load the key (create one with `zr key new`)")
    }
}

/// `$ZR_HOME`, or `~/.zr`.
pub fn zr_home() -> eyre::Result<PathBuf> {
    if let Some(home) = std::env::var_os("ZR_HOME") {
        return Ok(PathBuf::from(home));
    }
    match std::env::var_os("HOME") {
        Some(home) => Ok(PathBuf::from(home).join(".zr")),
        None => bail!("neither ZR_HOME nor HOME is set; pass --key FILE"),
    }
}

/// Key subcommands.
#[derive(Subcommand)]
pub enum KeyCommand {
    /// Generate a new key and write it to a file readable only by you.
    New,
    /// Show a key's address and public key.
    Show,
    /// Import the key of an existing NoM wallet from its BIP-39 mnemonic (path m/44'/73404'/INDEX').
    Import {
        /// The mnemonic words; `-` or omitted reads them from standard input (keeps them out of shell history).
        #[arg(long, value_name = "WORDS")]
        mnemonic: Option<String>,
        /// The wallet account index.
        #[arg(long, default_value_t = 0)]
        index: u32,
    },
}

/// Runs a key subcommand.
pub fn run(cmd: KeyCommand, key: KeyFileArg, out: &Output) -> eyre::Result<()> {
    match cmd {
        KeyCommand::New => {
            let path = key.path()?;
            let pair = KeyPair::generate();
            pair.write_file(&path)?;
            print_key(out, &pair, &path, "created");
        }
        KeyCommand::Show => {
            let path = key.path()?;
            print_key(out, &key.load()?, &path, "loaded");
        }
        KeyCommand::Import { mnemonic, index } => {
            let phrase = match mnemonic.as_deref() {
                None | Some("-") => {
                    let mut text = String::new();
                    std::io::stdin().read_to_string(&mut text).wrap_err("cannot read the mnemonic from stdin")?;
                    text
                }
                Some(words) => words.to_owned(),
            };
            let pair = nom_key_from_mnemonic(phrase.trim(), index)?;
            let path = key.path()?;
            pair.write_file(&path)?;
            print_key(out, &pair, &path, "imported");
        }
    }
    Ok(())
}

fn print_key(out: &Output, pair: &KeyPair, path: &std::path::Path, verb: &str) {
    let address = pair.address();
    let public = pair.public();
    out.emit(json!({ "address": address, "publicKey": public, "file": path }), || {
        format!("address:    {address}\npublic key: {public}\nkey file:   {} ({verb})", path.display())
    });
}
