//! Processing momentums in three overlapping stages, a thread each: checking a momentum's signatures,
//! executing it, committing it. While momentum N executes, N+1's signatures are checked and N-1 is written
//! to redb, so execution, the one stage that must run in order on one core, rarely waits for the others.
//! Results come out in momentum order; the first error stops the pipeline.

use std::sync::Arc;
use std::sync::mpsc::sync_channel;
use std::thread::JoinHandle;

use tokio::sync::mpsc;
use zr_common::nom::rpc::DetailedMomentum;

use crate::rollup::{ProcessError, Processed, Rollup};

/// Momentums waiting between two stages.
const STAGE_QUEUE: usize = 1;

/// A running pipeline: its results and its threads. It ends when every sender of its input is dropped and
/// the momentums in flight are through, or at the first error.
pub struct Pipeline {
    output: mpsc::Receiver<Result<Processed, ProcessError>>,
    threads: Vec<JoinHandle<()>>,
}

impl Pipeline {
    /// Starts the stages over `rollup`; returns where to send momentums, in height order.
    pub fn start(rollup: Arc<Rollup>) -> std::io::Result<(mpsc::Sender<DetailedMomentum>, Pipeline)> {
        let (input, mut momentums) = mpsc::channel::<DetailedMomentum>(STAGE_QUEUE);
        let (verified_tx, verified_rx) = sync_channel(STAGE_QUEUE);
        let (executed_tx, executed_rx) = sync_channel(STAGE_QUEUE);
        let (output_tx, output) = mpsc::channel(STAGE_QUEUE);
        let verifier = {
            let rollup = rollup.clone();
            std::thread::Builder::new().name("zr-verify".into()).spawn(move || {
                while let Some(momentum) = momentums.blocking_recv() {
                    let prepared = rollup.verify(&momentum);
                    if verified_tx.send((momentum, prepared)).is_err() {
                        break;
                    }
                }
            })?
        };
        let executor = {
            let rollup = rollup.clone();
            std::thread::Builder::new().name("zr-execute".into()).spawn(move || {
                for (momentum, prepared) in verified_rx {
                    let executed = rollup.execute(&momentum, prepared);
                    let failed = executed.is_err();
                    let forward = match executed {
                        Ok(Some(executed)) => Ok(executed),
                        Ok(None) => continue,
                        Err(e) => Err(e),
                    };
                    if executed_tx.send(forward).is_err() || failed {
                        break;
                    }
                }
            })?
        };
        let committer = std::thread::Builder::new().name("zr-commit".into()).spawn(move || {
            for executed in executed_rx {
                let processed = executed.and_then(|executed| rollup.commit(executed));
                let failed = processed.is_err();
                if output_tx.blocking_send(processed).is_err() || failed {
                    break;
                }
            }
        })?;
        Ok((input, Pipeline { output, threads: vec![verifier, executor, committer] }))
    }

    /// The next result; `None` once the pipeline has ended (input closed and drained, or after an error).
    pub async fn next(&mut self) -> Option<Result<Processed, ProcessError>> {
        self.output.recv().await
    }

    /// The next result, from a thread outside the async runtime.
    pub fn blocking_next(&mut self) -> Option<Result<Processed, ProcessError>> {
        self.output.blocking_recv()
    }

    /// Lets the momentums in flight commit and waits for the stages to end; the input senders must be
    /// dropped first.
    pub async fn finish(self) {
        let Pipeline { mut output, threads } = self;
        while output.recv().await.is_some() {}
        let _ = tokio::task::spawn_blocking(move || {
            for thread in threads {
                let _ = thread.join();
            }
        })
        .await;
    }

    /// [`Pipeline::finish`] from a thread outside the async runtime; returns the results still in flight.
    pub fn blocking_finish(self) -> Vec<Result<Processed, ProcessError>> {
        let Pipeline { mut output, threads } = self;
        let mut rest = Vec::new();
        while let Some(result) = output.blocking_recv() {
            rest.push(result);
        }
        for thread in threads {
            let _ = thread.join();
        }
        rest
    }
}
