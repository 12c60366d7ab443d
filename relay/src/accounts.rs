//! Account state from the relay's executor, fetched in batches: concurrent admissions that each need an
//! account are answered by one `rollup.getAccounts` call, so admission throughput does not hang on one
//! round trip per transaction.

use jsonrpsee_http_client::HttpClient;
use tokio::sync::{mpsc, oneshot};
use zr_common::Address;
use zr_rpc_api::{AccountView, MAX_BATCH_QUERY, RollupStateApiClient};

type Request = (Address, oneshot::Sender<Result<AccountView, String>>);

/// Asks the executor for accounts, batching what is asked at the same time.
#[derive(Clone)]
pub struct Accounts {
    requests: mpsc::Sender<Request>,
}

impl Accounts {
    /// Starts the batching task against `executor`.
    pub fn start(executor: HttpClient) -> Accounts {
        let (requests, mut rx) = mpsc::channel::<Request>(4 * MAX_BATCH_QUERY);
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH_QUERY {
                    match rx.try_recv() {
                        Ok(more) => batch.push(more),
                        Err(_) => break,
                    }
                }
                let addresses: Vec<Address> = batch.iter().map(|(a, _)| *a).collect();
                match executor.get_accounts(addresses).await {
                    Ok(views) if views.len() == batch.len() => {
                        for ((_, reply), view) in batch.into_iter().zip(views) {
                            let _ = reply.send(Ok(view));
                        }
                    }
                    Ok(views) => {
                        let message = format!("the executor answered {} accounts for {}", views.len(), batch.len());
                        for (_, reply) in batch {
                            let _ = reply.send(Err(message.clone()));
                        }
                    }
                    Err(err) => {
                        let message = format!("executor unreachable: {err}");
                        for (_, reply) in batch {
                            let _ = reply.send(Err(message.clone()));
                        }
                    }
                }
            }
        });
        Accounts { requests }
    }

    /// The account at the executor's head.
    pub async fn get(&self, address: Address) -> Result<AccountView, String> {
        let (reply, answer) = oneshot::channel();
        self.requests.send((address, reply)).await.map_err(|_| "the account fetcher stopped".to_owned())?;
        answer.await.map_err(|_| "the account fetcher stopped".to_owned())?
    }

    /// Many accounts at the executor's head, in order.
    pub async fn get_many(&self, addresses: &[Address]) -> Result<Vec<AccountView>, String> {
        let waits: Vec<_> = addresses.iter().map(|a| self.get(*a)).collect();
        futures::future::join_all(waits).await.into_iter().collect()
    }
}
