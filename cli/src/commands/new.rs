//! `zr new NAME`: a contract project that builds with the documented toolchain and deploys as it stands — a
//! typed-method contract, its build script, and its tests on the test kit — pointing at the SDK and test kit
//! of the checkout `zr` was built from.

use std::path::{Path, PathBuf};

use clap::Args;
use eyre::{Context, bail};
use serde_json::json;

use crate::output::Output;

/// The checkout this `zr` was built from: the SDK and the test kit the project uses live there.
const CHECKOUT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// The template's files: (path in the project, contents with `{{name}}`, `{{crate}}`, `{{sdk}}`, `{{testkit}}`).
const TEMPLATE: [(&str, &str); 8] = [
    ("Cargo.toml", include_str!("../../templates/contract/Cargo.toml")),
    ("src/lib.rs", include_str!("../../templates/contract/src/lib.rs")),
    ("build.sh", include_str!("../../templates/contract/build.sh")),
    ("README.md", include_str!("../../templates/contract/README.md")),
    (".gitignore", include_str!("../../templates/contract/gitignore")),
    ("tests/Cargo.toml", include_str!("../../templates/contract/tests/Cargo.toml")),
    ("tests/src/lib.rs", include_str!("../../templates/contract/tests/src/lib.rs")),
    ("tests/tests/contract.rs", include_str!("../../templates/contract/tests/tests/contract.rs")),
];

/// `zr new`'s arguments.
#[derive(Args)]
pub struct NewArgs {
    /// The contract's name: lowercase letters, digits, `-` and `_`, starting with a letter. The project is
    /// made in a new directory of that name.
    name: String,
    /// Make the project here instead of ./NAME (the directory must not exist or be empty).
    #[arg(long)]
    path: Option<PathBuf>,
    /// The zrollup checkout whose contracts/sdk and testkit the project uses (default: the one `zr` was
    /// built from).
    #[arg(long, value_name = "DIR")]
    zrollup: Option<PathBuf>,
}

/// Makes the project.
pub fn run(args: NewArgs, out: &Output) -> eyre::Result<()> {
    check_name(&args.name)?;
    let checkout = args.zrollup.unwrap_or_else(|| PathBuf::from(CHECKOUT));
    let checkout = checkout
        .canonicalize()
        .wrap_err_with(|| format!("the zrollup checkout {} is not there (pass --zrollup DIR)", checkout.display()))?;
    let (sdk, testkit) = (checkout.join("contracts/sdk"), checkout.join("testkit"));
    for (what, dir) in [("SDK", &sdk), ("test kit", &testkit)] {
        if !dir.join("Cargo.toml").is_file() {
            bail!("{} has no {what} at {}: pass --zrollup DIR", checkout.display(), dir.display());
        }
    }
    let dir = args.path.unwrap_or_else(|| PathBuf::from(&args.name));
    if dir.exists() && std::fs::read_dir(&dir).map(|mut d| d.next().is_some()).unwrap_or(true) {
        bail!("{} exists and is not empty: choose another name or --path", dir.display());
    }
    let fill = |text: &str| {
        text.replace("{{name}}", &args.name)
            .replace("{{crate}}", &args.name.replace('-', "_"))
            .replace("{{sdk}}", &sdk.display().to_string())
            .replace("{{testkit}}", &testkit.display().to_string())
    };
    for (path, text) in TEMPLATE {
        write(&dir.join(path), &fill(text))?;
    }
    make_executable(&dir.join("build.sh"))?;
    // The tests build the checkout's crates: its lock file keeps them at the versions it was tested with.
    let lock = checkout.join("Cargo.lock");
    if lock.is_file() {
        std::fs::copy(&lock, dir.join("tests/Cargo.lock")).wrap_err("cannot copy the checkout's Cargo.lock")?;
    }
    out.emit(json!({ "project": dir, "name": args.name }), || {
        format!(
            "made {dir}: a contract with typed methods (src/lib.rs), its tests (tests/) and ./build.sh\n\
             next:\n  cd {dir} && ./build.sh\n  (cd tests && cargo test)\n  zr deploy {name}.wasm --init 5\n  \
             zr call <contract> add 3\n  zr query <contract> count",
            dir = dir.display(),
            name = args.name
        )
    });
    Ok(())
}

fn check_name(name: &str) -> eyre::Result<()> {
    let valid = name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !valid {
        bail!("{name:?} is not a contract name: lowercase letters, digits, - and _, starting with a letter");
    }
    Ok(())
}

fn write(path: &Path, text: &str) -> eyre::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).wrap_err_with(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(path, text).wrap_err_with(|| format!("cannot write {}", path.display()))
}

fn make_executable(path: &Path) -> eyre::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut permissions =
        std::fs::metadata(path).wrap_err_with(|| format!("cannot read {}", path.display()))?.permissions();
    permissions.set_mode(0o755);
    std::fs::set_permissions(path, permissions).wrap_err_with(|| format!("cannot make {} executable", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_crate_names() {
        for good in ["hello", "my-token", "amm_2"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in ["", "Hello", "2fast", "a b", "../x", "a/b"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_project_is_made_once_with_every_placeholder_filled() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hello-world");
        let args = || NewArgs { name: "hello-world".into(), path: Some(path.clone()), zrollup: None };
        run(args(), &Output::new(true)).unwrap();
        for (file, _) in TEMPLATE {
            let text = std::fs::read_to_string(path.join(file)).unwrap();
            assert!(!text.contains("{{"), "{file} keeps a placeholder");
        }
        let build = std::fs::read_to_string(path.join("build.sh")).unwrap();
        assert!(build.contains("release/hello_world.wasm\" hello-world.wasm"));
        assert!(path.join("tests/Cargo.lock").is_file());
        let again = run(args(), &Output::new(true)).unwrap_err().to_string();
        assert!(again.contains("exists and is not empty"), "{again}");
    }
}
