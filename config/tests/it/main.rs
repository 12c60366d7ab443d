//! Layering, unknown keys and validation of the daemon configurations.

// figment's Jail closures return its large error type; that is its API, not ours.
#![allow(clippy::result_large_err)]

use clap::Parser;
use figment::providers::Serialized;
use figment::{Figment, Jail};
use zr_config::{
    ChallengerArgs, ConfigError, DevnetArgs, DevnetConfig, ExecutorArgs, ExecutorConfig, Layered, RelayArgs,
    RelayConfig,
};

fn devnet(argv: &[&str]) -> Result<DevnetConfig, ConfigError> {
    let args = DevnetArgs::try_parse_from(std::iter::once("zr-devnet").chain(argv.iter().copied())).unwrap();
    DevnetConfig::load(&args)
}

#[test]
fn defaults_without_file_env_or_flags() {
    Jail::expect_with(|_| {
        let config = devnet(&[]).unwrap();
        assert_eq!(config, DevnetConfig::default());
        assert_eq!(config.http_listen.port(), 35997);
        assert_eq!(config.ws_listen.port(), 35998);
        assert_eq!(config.momentum_interval_ms, 10_000);
        Ok(())
    });
}

#[test]
fn precedence_is_defaults_file_env_flags() {
    Jail::expect_with(|jail| {
        jail.create_file(
            "d.toml",
            "momentum_interval_ms = 500\ndata_dir = \"from-file\"\n[ops]\nlisten = \"127.0.0.1:1\"\n",
        )?;
        let config = devnet(&["-c", "d.toml"]).unwrap();
        assert_eq!(config.momentum_interval_ms, 500);
        assert_eq!(config.ops.listen.port(), 1);

        jail.set_env("ZR_DEVNET_MOMENTUM_INTERVAL_MS", "200");
        jail.set_env("ZR_DEVNET_OPS__LISTEN", "127.0.0.1:2");
        let config = devnet(&["-c", "d.toml"]).unwrap();
        assert_eq!(config.momentum_interval_ms, 200);
        assert_eq!(config.ops.listen.port(), 2);
        assert_eq!(config.data_dir.to_str(), Some("from-file"));

        let config = devnet(&["-c", "d.toml", "--momentum-interval-ms", "100", "--ops-listen", "127.0.0.1:3"]).unwrap();
        assert_eq!(config.momentum_interval_ms, 100);
        assert_eq!(config.ops.listen.port(), 3);
        Ok(())
    });
}

/// A file's unknown key or a value of the wrong type is named, with the file.
#[test]
fn a_bad_key_in_a_file_is_named_with_the_file() {
    Jail::expect_with(|jail| {
        for (toml, named) in [
            ("momentum_intervall_ms = 500\n", "momentum_intervall_ms"),
            ("momentum_interval_ms = \"soon\"\n", "momentum_interval_ms"),
        ] {
            jail.create_file("d.toml", toml)?;
            let err = devnet(&["-c", "d.toml"]).unwrap_err().to_string();
            assert!(err.contains(named) && err.contains("d.toml"), "{toml}: {err}");
        }
        Ok(())
    });
}

/// A missing file, a value out of range and an unknown environment key are each refused, named.
#[test]
fn a_missing_file_a_bad_value_and_an_unknown_env_key_are_named() {
    Jail::expect_with(|jail| {
        let err = devnet(&["-c", "nope.toml"]).unwrap_err().to_string();
        assert_eq!(err, "config file nope.toml: no such file");
        let err = devnet(&["--momentum-interval-ms", "1"]).unwrap_err().to_string();
        assert_eq!(err, "invalid config value `momentum_interval_ms`: must be at least 10");
        jail.set_env("ZR_DEVNET_HTTP_LISTN", "127.0.0.1:1");
        let err = devnet(&[]).unwrap_err().to_string();
        assert!(err.contains("http_listn"), "{err}");
        Ok(())
    });
}

/// An executor without its key file, or with an L1 URL that is not HTTP, is refused naming the key.
#[test]
fn validation_names_the_key() {
    Jail::expect_with(|_| {
        let args = ExecutorArgs::try_parse_from(["zr-executor", "--chain-id", "5"]).unwrap();
        let err = ExecutorConfig::load(&args).unwrap_err().to_string();
        assert!(err.starts_with("invalid config value `key_file`"), "{err}");
        let args =
            ExecutorArgs::try_parse_from(["zr-executor", "--chain-id", "5", "--key-file", "k", "--l1-http", "ftp://x"])
                .unwrap();
        let err = ExecutorConfig::load(&args).unwrap_err().to_string();
        assert!(err.starts_with("invalid config value `l1.http`"), "{err}");
        Ok(())
    });
}

#[test]
fn nested_sections_from_file_and_env() {
    Jail::expect_with(|jail| {
        jail.create_file(
            "e.toml",
            "chain_id = 5\nkey_file = \"k.json\"\n[l1]\nhttp = \"http://10.0.0.1:35997\"\n[rpc]\nlisten = \"127.0.0.1:0\"\n",
        )?;
        jail.set_env("ZR_EXECUTOR_RPC__MAX_CONNECTIONS", "7");
        let args = ExecutorArgs::try_parse_from(["zr-executor", "-c", "e.toml"]).unwrap();
        let config = ExecutorConfig::load(&args).unwrap();
        assert_eq!(config.l1.http, "http://10.0.0.1:35997");
        assert_eq!(config.l1.ws, "ws://127.0.0.1:35998");
        assert_eq!(config.rpc.max_connections, 7);
        assert_eq!(config.rpc.max_request_bytes, 1024 * 1024);
        jail.create_file("bad.toml", "key_file = \"k\"\n[rpc]\nlisen = \"127.0.0.1:0\"\n")?;
        let args = ExecutorArgs::try_parse_from(["zr-executor", "-c", "bad.toml"]).unwrap();
        let err = ExecutorConfig::load(&args).unwrap_err().to_string();
        assert!(err.contains("lisen") && err.contains("rpc"), "{err}");
        Ok(())
    });
}

#[test]
fn relay_defaults_validate_with_a_key() {
    Jail::expect_with(|_| {
        let args = RelayArgs::try_parse_from(["zr-relay", "--chain-id", "5", "--key-file", "k"]).unwrap();
        let config = RelayConfig::load(&args).unwrap();
        assert_eq!(config.rpc.listen.port(), 8546);
        Ok(())
    });
}

#[test]
fn fault_injection_is_refused_off_the_dev_chain_and_must_name_a_leaf() {
    use zr_config::{ExecutorConfig, Validate};
    let base = ExecutorConfig {
        chain_id: zr_config::defaults::DEV_ROLLUP_CHAIN_ID,
        key_file: Some("k.json".into()),
        ..ExecutorConfig::default()
    };
    let on_dev = ExecutorConfig { dangerous_fault_injection: Some("12:1".into()), ..base.clone() };
    assert!(on_dev.validate().is_ok());
    assert_eq!(on_dev.fault_injection(), Some(zr_config::InjectedFault { height: 12, index: 1, step: false }));
    let step = ExecutorConfig { dangerous_fault_injection: Some("12:1:step".into()), ..base.clone() };
    assert_eq!(step.fault_injection(), Some(zr_config::InjectedFault { height: 12, index: 1, step: true }));
    let other = ExecutorConfig { dangerous_fault_injection: Some("12:1:gas".into()), ..base.clone() };
    assert!(other.validate().is_err());
    let elsewhere = ExecutorConfig { chain_id: 5, ..on_dev.clone() };
    let err = elsewhere.validate().unwrap_err().to_string();
    assert!(err.contains("dangerous_fault_injection") && err.contains("refused"), "{err}");
    let malformed = ExecutorConfig { dangerous_fault_injection: Some("twelve".into()), ..base };
    assert!(malformed.validate().unwrap_err().to_string().contains("HEIGHT:INDEX"));
}

#[test]
fn claim_every_is_every_momentum_or_none() {
    use zr_config::{ExecutorConfig, Validate};
    let base = ExecutorConfig { chain_id: 5, key_file: Some("k.json".into()), ..ExecutorConfig::default() };
    assert!(ExecutorConfig { claim_every: 0, ..base.clone() }.validate().is_ok());
    assert!(ExecutorConfig { claim_every: 1, ..base.clone() }.validate().is_ok());
    let err = ExecutorConfig { claim_every: 2, ..base }.validate().unwrap_err().to_string();
    assert!(err.contains("claim_every") && err.contains("could never be final"), "{err}");
}

/// Attack (hardening item 8): a deployment left at the default chain id shared it with every other such
/// deployment (their users' transactions replayed on each other) and with the dev chain (fault injection
/// allowed). No daemon has a default chain id now, and the dev chain's is one no deployment gets by default.
#[test]
fn attack_a_default_configuration_has_no_chain_id_to_share_or_to_inject_faults_on() {
    use zr_config::{ChallengerConfig, Validate};
    Jail::expect_with(|jail| {
        let required = |err: ConfigError| {
            let err = err.to_string();
            assert!(err.starts_with("invalid config value `chain_id`: required"), "{err}");
        };
        required(
            ExecutorConfig::load(&ExecutorArgs::try_parse_from(["zr-executor", "--key-file", "k"]).unwrap())
                .unwrap_err(),
        );
        required(RelayConfig::load(&RelayArgs::try_parse_from(["zr-relay", "--key-file", "k"]).unwrap()).unwrap_err());
        // The challenger reads it from L1's settlement parameters when not given (0 here).
        let challenger = ChallengerConfig::load(&ChallengerArgs::try_parse_from(["zr-challenge"]).unwrap());
        assert_eq!(challenger.unwrap().chain_id, 0);
        // Fault injection on a configuration that names no chain is refused for the chain id first.
        let faulty = ["zr-executor", "--key-file", "k", "--dangerous-fault-injection", "3:1"];
        required(ExecutorConfig::load(&ExecutorArgs::try_parse_from(faulty).unwrap()).unwrap_err());
        // The file and the environment set it as well as the flag.
        jail.create_file("e.toml", "chain_id = 9\nkey_file = \"k\"\n")?;
        let from_file = ExecutorConfig::load(&ExecutorArgs::try_parse_from(["zr-executor", "-c", "e.toml"]).unwrap());
        assert_eq!(from_file.unwrap().chain_id, 9);
        jail.set_env("ZR_RELAY_CHAIN_ID", "11");
        let from_env = RelayConfig::load(&RelayArgs::try_parse_from(["zr-relay", "--key-file", "k"]).unwrap());
        assert_eq!(from_env.unwrap().chain_id, 11);
        Ok(())
    });
    assert!(ExecutorConfig::default().validate().is_err());
}

/// Each flag's help names the config key it sets (`[config: KEY`), and given a value it lands at exactly that
/// key of the flags' layer: a flag declared for a value that is not there, or documented under another
/// name, fails here.
#[test]
fn every_flag_sets_the_config_key_its_help_names() {
    fn sample(value_name: &str) -> String {
        match value_name {
            "DIR" | "FILE" => "some/path".into(),
            "ADDR" => "127.0.0.1:7".into(),
            "URL" => "http://127.0.0.1:7".into(),
            "MULTIADDR" => "/ip4/127.0.0.1/tcp/7".into(),
            "HEIGHT:INDEX[:step]" => "3:1".into(),
            "PUBLIC_KEY" => zr_common::KeyPair::from_seed(&[1; 32]).public().to_string(),
            _ => "7".into(),
        }
    }
    fn check<P: Parser + serde::Serialize>(name: &str) {
        let command = P::command();
        assert_eq!(command.get_name(), name, "the flags parse {name}'s command line");
        let mut checked = 0;
        for arg in command.get_arguments() {
            let Some(long) = arg.get_long() else { continue };
            if matches!(long, "config" | "help" | "version") {
                continue;
            }
            let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
            let key = help
                .split("[config: ")
                .nth(1)
                .and_then(|rest| rest.split([',', ']']).next())
                .unwrap_or_else(|| panic!("{name} --{long}: its help names no config key: {help:?}"));
            let value_name = arg.get_value_names().and_then(|names| names.first()).map_or("", |n| n.as_str());
            let argv = [name.to_owned(), format!("--{long}"), sample(value_name)];
            let parsed = P::try_parse_from(argv).unwrap_or_else(|e| panic!("{name} --{long}: {e}"));
            let layer = Figment::from(Serialized::defaults(&parsed));
            assert!(layer.find_value(key).is_ok(), "{name} --{long} does not set `{key}`, which its help names");
            checked += 1;
        }
        assert!(checked >= 3, "{name}: only {checked} flags checked");
    }
    check::<DevnetArgs>("zr-devnet");
    check::<ExecutorArgs>("zr-executor");
    check::<RelayArgs>("zr-relay");
    check::<ChallengerArgs>("zr-challenge");
}

/// A configuration written with `write_file` loads back from `--config` to the same values, nested sections and
/// unset options included: what a harness that starts a daemon's binary relies on.
#[test]
fn a_written_config_file_loads_back_the_same() {
    Jail::expect_with(|jail| {
        let devnet_config = DevnetConfig::in_dir(jail.directory(), 20);
        devnet_config.write_file(&jail.directory().join("devnet.toml")).unwrap();
        assert_eq!(devnet(&["--config", "devnet.toml"]).unwrap(), devnet_config);

        let l1 = zr_config::L1Section::at("http://127.0.0.1:1", "ws://127.0.0.1:2");
        let listen = zr_config::Listen::loopback_any();
        let executor_config = ExecutorConfig::node("state".into(), 7, "key.json".into(), l1, listen);
        executor_config.write_file(&jail.directory().join("executor.toml")).unwrap();
        let args = ExecutorArgs::try_parse_from(["zr-executor", "-c", "executor.toml"]).unwrap();
        assert_eq!(ExecutorConfig::load(&args).unwrap(), executor_config);

        let unwritable = jail.directory().join("no-such-dir").join("relay.toml");
        let err = RelayConfig::default().write_file(&unwritable).unwrap_err();
        assert!(err.to_string().contains("no-such-dir"), "{err}");
        Ok(())
    });
}
