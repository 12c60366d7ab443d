//! Commits a deterministic stream of large momentums to a real `StateStore`, announcing each commit on stdout
//! just before it starts ("begin H"), so a test can SIGKILL it inside a chosen commit, and inside a fold.
//!
//! Usage: `store-under-test DIR FOLD_ROWS LAST_HEIGHT`. It resumes after the store's head.

use std::collections::BTreeSet;
use std::io::Write;

use zr_executor::StateStore;
use zr_executor::store::{BlockCommit, Head};
use zr_tests::store_workload::changes;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, dir, fold_rows, last] = args.as_slice() else {
        eprintln!("usage: store-under-test DIR FOLD_ROWS LAST_HEIGHT");
        std::process::exit(2);
    };
    let fold_rows: usize = fold_rows.parse().expect("FOLD_ROWS");
    let last: u64 = last.parse().expect("LAST_HEIGHT");
    let store = StateStore::open_folding_after(std::path::Path::new(dir), fold_rows).expect("open");
    let head = store.head().expect("head");
    let mut tree = store.load_tree().expect("load");
    let mut out = std::io::stdout();
    for height in head.height + 1..=last {
        let mut changed = BTreeSet::new();
        for (key, value) in changes(height) {
            tree.set(key, value).expect("a full tree");
            changed.insert(key);
        }
        writeln!(out, "begin {height}").and_then(|()| out.flush()).expect("stdout");
        let commit =
            BlockCommit { fold: false, ..BlockCommit::state_only(Head { height, root: tree.root() }, &tree, &changed) };
        store.commit(commit).expect("commit");
        writeln!(out, "done {height}").and_then(|()| out.flush()).expect("stdout");
    }
}
