//! `zr bench`: a load run through the relays. It makes and funds sending accounts, deploys the token
//! contract, then drives token transfers at a target rate (or as fast as the relays take them), printing a
//! live progress line and a summary, and optionally drawing throughput and latency over the run as an SVG.

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Args;
use eyre::{Context, bail};
use jsonrpsee_http_client::{HttpClient, HttpClientBuilder};
use serde_json::json;
use zr_common::rollup::TxKind;
use zr_common::{Address, Canonical, Hash, KeyPair, TokenStandard, sha3_256};
use zr_rpc_api::{MAX_BATCH_QUERY, RollupRelayApiClient, RollupStateApiClient, RollupTxApiClient, TransactionStatus};

use super::net::{Net, parse_amount};
use crate::output::Output;

/// The token contract the run deploys.
const TOKEN_WASM: &[u8] = include_bytes!("../../../contracts/wasm/token.wasm");
/// Gas limit of each benchmark transaction (a token transfer, module loading included, needs well under it).
const TRANSFER_GAS: u64 = 1_000_000;
/// How often statuses are polled.
const POLL: Duration = Duration::from_millis(200);

/// `zr bench` flags.
#[derive(Args)]
pub struct BenchArgs {
    /// Sending accounts to make and fund (each holds at most 64 transactions in a relay)
    #[arg(long, default_value_t = 64)]
    accounts: u32,
    /// Transfers a second to submit; 0 submits as fast as the relays take them
    #[arg(long, default_value_t = 0)]
    rate: u32,
    /// Seconds of load
    #[arg(long, default_value_t = 30)]
    duration: u64,
    /// ZNN each account is given for its fees
    #[arg(long, default_value = "10")]
    fund: String,
    /// More relays to spread the transfers over, besides --relay; repeat for several
    #[arg(long = "also-relay", value_name = "URL")]
    also_relay: Vec<String>,
    /// Draw submitted and executed transfers a second and p50/p99 latency over the run into this SVG file
    #[arg(long, value_name = "FILE.svg")]
    plot: Option<PathBuf>,
}

/// What one second of the run saw.
#[derive(Debug, Default, Clone)]
struct Second {
    submitted: u64,
    executed: u64,
    failed: u64,
    errors: u64,
    latencies: Vec<f64>,
}

/// The run's shared record.
#[derive(Default)]
struct Record {
    seconds: Vec<Second>,
    /// Submitted, not yet executed: hash and when it was submitted.
    waiting: VecDeque<(Hash, Instant)>,
    last_error: Option<String>,
}

impl Record {
    fn second(&mut self, started: Instant, at: Instant) -> &mut Second {
        let index = at.saturating_duration_since(started).as_secs() as usize;
        if self.seconds.len() <= index {
            self.seconds.resize(index + 1, Second::default());
        }
        &mut self.seconds[index]
    }
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn sorted(mut values: Vec<f64>) -> Vec<f64> {
    values.sort_by(f64::total_cmp);
    values
}

/// Runs the benchmark with `key` paying for the accounts, the token and the fees.
pub fn run(args: BenchArgs, key: &KeyPair, net: Net, out: &Output) -> eyre::Result<()> {
    if net.args.direct {
        bail!("zr bench drives load through relays; leave out --direct");
    }
    if args.accounts == 0 || args.duration == 0 {
        bail!("--accounts and --duration must be at least 1");
    }
    let runtime = tokio::runtime::Runtime::new().wrap_err("cannot start the async runtime")?;
    runtime.block_on(bench(args, key, net, out))
}

async fn bench(args: BenchArgs, key: &KeyPair, net: Net, out: &Output) -> eyre::Result<()> {
    let mut urls = vec![net.args.relay.clone()];
    urls.extend(args.also_relay.iter().cloned());
    let relays: Vec<HttpClient> = urls
        .iter()
        .map(|url| {
            HttpClientBuilder::default()
                .request_timeout(Duration::from_secs(30))
                .build(url)
                .wrap_err_with(|| format!("invalid relay URL {url}"))
        })
        .collect::<eyre::Result<_>>()?;

    // Set-up: the token, then fees and tokens for every account, all from the user's key.
    net.progress("deploying the token contract");
    let (token, _, _) = super::rollup::deploy_code(&net, key, TOKEN_WASM, "the token contract", Vec::new(), 0).await?;
    let accounts: Vec<KeyPair> = (0..args.accounts)
        .map(|i| KeyPair::from_seed(&sha3_256(&[key.address().0.as_slice(), &i.to_le_bytes()].concat()).0))
        .collect();
    let fund = parse_amount(&args.fund)?;
    let mut kinds = Vec::new();
    for account in &accounts {
        kinds.push(TxKind::Transfer { to: account.address(), token: TokenStandard::ZNN, amount: fund });
        let input = [account.address().0.as_slice(), &1_000_000_000u128.to_le_bytes()].concat();
        kinds.push(TxKind::Call { contract: token, method: "mint".into(), input, value: 0 });
    }
    net.progress(&format!("funding {} accounts", accounts.len()));
    let nonce = net.next_nonce(&key.address()).await?;
    let setup = net.submit_with_gas(key, nonce, kinds, TRANSFER_GAS).await?;
    let last = setup.last().expect("at least one account").hash();
    let view = net.wait(&last, "funding").await?;
    if view.status != TransactionStatus::Executed {
        bail!("funding the accounts ended {}: {}", view.status, view.reason.unwrap_or_default());
    }
    let mut nonces: Vec<u64> = Vec::with_capacity(accounts.len());
    for account in &accounts {
        nonces.push(net.next_nonce(&account.address()).await?);
    }

    // The load, with a tracker polling statuses and a progress line each second.
    let record = Arc::new(Mutex::new(Record::default()));
    let started = Instant::now();
    let stop_at = started + Duration::from_secs(args.duration);
    let tracker = tokio::spawn(track(relays[0].clone(), record.clone(), started));
    let progress = tokio::spawn(report(record.clone(), started, net.progress));
    // With a target rate, a ticker hands out that many submissions a second; each account submits its own
    // transfers in nonce order.
    let pace = (args.rate > 0).then(|| Arc::new(tokio::sync::Semaphore::new(0)));
    let ticker = pace.clone().map(|pace| {
        let rate = f64::from(args.rate);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(10));
            let mut given = 0u64;
            loop {
                tick.tick().await;
                let due = (started.elapsed().as_secs_f64() * rate) as u64;
                pace.add_permits(due.saturating_sub(given) as usize);
                given = given.max(due);
            }
        })
    });
    let chain_id = net.chain_id().await?;
    let mut senders = tokio::task::JoinSet::new();
    for (index, (account, nonce)) in accounts.iter().zip(nonces).enumerate() {
        let send = Sender {
            key: account.clone(),
            nonce,
            to: accounts[(index + 1) % accounts.len()].address(),
            token,
            relay: relays[index % relays.len()].clone(),
            chain_id,
            fee_per_gas: net.args.fee_per_gas,
        };
        senders.spawn(send.run(record.clone(), pace.clone(), started, stop_at));
    }
    while senders.join_next().await.is_some() {}
    if let Some(ticker) = ticker {
        ticker.abort();
    }
    // Let what was submitted finish (at most 30 s).
    let drain_until = Instant::now() + Duration::from_secs(30);
    while Instant::now() < drain_until && !record.lock().expect("record lock").waiting.is_empty() {
        tokio::time::sleep(POLL).await;
    }
    tracker.abort();
    progress.abort();
    net.progress_done();
    summarize(&args, &record.lock().expect("record lock"), started, &urls, out)
}

/// One account's share of the load.
struct Sender {
    key: KeyPair,
    nonce: u64,
    to: Address,
    token: Address,
    relay: HttpClient,
    chain_id: u64,
    fee_per_gas: u64,
}

impl Sender {
    /// Submits transfers until `stop_at` (each after a permit from `pace`, when there is one). A full sender
    /// slot in the relay waits and tries the same nonce again; another refusal is counted and the nonce
    /// asked afresh.
    async fn run(
        mut self,
        record: Arc<Mutex<Record>>,
        pace: Option<Arc<tokio::sync::Semaphore>>,
        started: Instant,
        stop_at: Instant,
    ) {
        while Instant::now() < stop_at {
            if let Some(pace) = &pace {
                match tokio::time::timeout_at(stop_at.into(), pace.acquire()).await {
                    Ok(Ok(permit)) => permit.forget(),
                    _ => return,
                }
            }
            let input = [self.to.0.as_slice(), &1u128.to_le_bytes()].concat();
            let kind = TxKind::Call { contract: self.token, method: "transfer".into(), input, value: 0 };
            let body = zr_common::rollup::TxBody {
                chain_id: self.chain_id,
                sender: self.key.public(),
                nonce: self.nonce,
                gas_limit: TRANSFER_GAS,
                fee_per_gas: self.fee_per_gas,
                kind,
            };
            let tx = body.sign(&self.key);
            let at = Instant::now();
            match self.relay.send_transaction(hex::encode(tx.to_bytes())).await {
                Ok(hash) => {
                    self.nonce += 1;
                    let mut r = record.lock().expect("record lock");
                    r.second(started, at).submitted += 1;
                    r.waiting.push_back((hash, at));
                }
                Err(jsonrpsee::core::ClientError::Call(e)) if e.code() == zr_rpc_api::codes::rejected::SENDER_FULL => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => {
                    {
                        let mut r = record.lock().expect("record lock");
                        r.second(started, at).errors += 1;
                        r.last_error = Some(e.to_string());
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    if let Ok(nonce) = self.relay.get_nonce(self.key.address(), None).await {
                        self.nonce = nonce;
                    }
                }
            }
        }
    }
}

/// Polls the statuses of submitted transfers until aborted; records each one's latency when it executes.
async fn track(relay: HttpClient, record: Arc<Mutex<Record>>, started: Instant) {
    loop {
        tokio::time::sleep(POLL).await;
        let batch: Vec<(Hash, Instant)> =
            record.lock().expect("record lock").waiting.iter().take(MAX_BATCH_QUERY).copied().collect();
        if batch.is_empty() {
            continue;
        }
        let Ok(views) = relay.get_transactions(batch.iter().map(|(h, _)| *h).collect()).await else { continue };
        let now = Instant::now();
        let mut done = BTreeMap::new();
        for ((hash, at), view) in batch.iter().zip(views) {
            let Some(view) = view else { continue };
            if view.status.is_terminal() {
                let why = view.reason.clone().or_else(|| view.receipt.as_ref().map(|r| format!("{:?}", r.status)));
                done.insert(*hash, (*at, view.status, why));
            }
        }
        let mut r = record.lock().expect("record lock");
        r.waiting.retain(|(hash, _)| !done.contains_key(hash));
        for (at, status, why) in done.into_values() {
            let second = r.second(started, now);
            match status {
                TransactionStatus::Executed => {
                    second.executed += 1;
                    second.latencies.push(now.duration_since(at).as_secs_f64());
                }
                _ => {
                    second.failed += 1;
                    r.last_error = Some(format!("{status}: {}", why.unwrap_or_default()));
                }
            }
        }
    }
}

/// Prints a progress line each second until aborted.
async fn report(record: Arc<Mutex<Record>>, started: Instant, progress: bool) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    loop {
        tick.tick().await;
        if !progress {
            continue;
        }
        let r = record.lock().expect("record lock");
        let now = started.elapsed().as_secs() as usize;
        let last = r.seconds.get(now.saturating_sub(1)).cloned().unwrap_or_default();
        let window: Vec<f64> =
            r.seconds.iter().rev().take(10).flat_map(|s| s.latencies.iter().copied()).collect::<Vec<_>>();
        let window = sorted(window);
        let errors: u64 = r.seconds.iter().map(|s| s.errors + s.failed).sum();
        eprint!(
            "\r\x1b[2K{now:>4}s  submitted {:>6}/s  executed {:>6}/s  p50 {:.2} s  p99 {:.2} s  in flight {}  errors {errors}",
            last.submitted,
            last.executed,
            quantile(&window, 0.5),
            quantile(&window, 0.99),
            r.waiting.len(),
        );
    }
}

fn summarize(args: &BenchArgs, r: &Record, started: Instant, relays: &[String], out: &Output) -> eyre::Result<()> {
    let submitted: u64 = r.seconds.iter().map(|s| s.submitted).sum();
    let executed: u64 = r.seconds.iter().map(|s| s.executed).sum();
    let failed: u64 = r.seconds.iter().map(|s| s.failed).sum();
    let errors: u64 = r.seconds.iter().map(|s| s.errors).sum();
    let latencies = sorted(r.seconds.iter().flat_map(|s| s.latencies.iter().copied()).collect());
    let elapsed = started.elapsed().as_secs_f64();
    let load = args.duration as f64;
    let summary = json!({
        "relays": relays,
        "accounts": args.accounts,
        "targetRate": args.rate,
        "durationSeconds": args.duration,
        "submitted": submitted,
        "executed": executed,
        "failed": failed,
        "refused": errors,
        "unfinished": r.waiting.len(),
        "submittedPerSecond": submitted as f64 / load,
        "executedPerSecond": executed as f64 / elapsed,
        "latencySeconds": { "p50": quantile(&latencies, 0.5), "p90": quantile(&latencies, 0.9), "p99": quantile(&latencies, 0.99), "max": latencies.last().copied().unwrap_or(f64::NAN) },
        "lastError": r.last_error,
    });
    if let Some(path) = &args.plot {
        std::fs::write(path, plot(&r.seconds)?).wrap_err_with(|| format!("cannot write {}", path.display()))?;
    }
    out.emit(summary, || {
        format!(
            "{submitted} transfers submitted in {} s ({:.0}/s) to {} relay(s), {executed} executed ({:.0}/s over {elapsed:.1} s), \
             {failed} failed, {errors} refused, {} unfinished\nsubmit to executed: p50 {:.2} s, p90 {:.2} s, p99 {:.2} s, max {:.2} s \
             (polled every {} ms){}{}",
            args.duration,
            submitted as f64 / load,
            relays.len(),
            executed as f64 / elapsed,
            r.waiting.len(),
            quantile(&latencies, 0.5),
            quantile(&latencies, 0.9),
            quantile(&latencies, 0.99),
            latencies.last().copied().unwrap_or(f64::NAN),
            POLL.as_millis(),
            r.last_error.as_ref().map(|e| format!("\nlast refusal or failure: {e}")).unwrap_or_default(),
            args.plot.as_ref().map(|p| format!("\nplot: {}", p.display())).unwrap_or_default(),
        )
    });
    if executed == 0 {
        bail!("no transfer was executed");
    }
    Ok(())
}

/// A chart's title, its two series per second, and their names.
type Chart<'a> = (&'a str, &'a [[f64; 2]], [&'a str; 2]);

/// Rates are drawn as the mean over about this many seconds, a whole number of momentums: transactions execute
/// a momentum at a time, so the executed count of single seconds swings between 0 and a momentum's worth and
/// hides the submitted line, and a window holding sometimes one momentum more still zigzags.
const RATE_WINDOW_SECONDS: usize = 10;

/// The seconds between momentums, as the run saw them: the span of seconds that executed something over the
/// number of gaps between them (1 when that cannot be told).
fn momentum_period(executed: &[f64]) -> usize {
    let landed: Vec<usize> = executed.iter().enumerate().filter(|(_, n)| **n > 0.0).map(|(i, _)| i).collect();
    match (landed.first(), landed.last()) {
        (Some(first), Some(last)) if landed.len() > 1 => {
            ((last - first) as f64 / (landed.len() - 1) as f64).round().max(1.0) as usize
        }
        _ => 1,
    }
}

/// The rate window for a run whose momentums come every `period` seconds: the whole number of periods
/// nearest [`RATE_WINDOW_SECONDS`], at least one.
fn rate_window(period: usize) -> usize {
    period * ((RATE_WINDOW_SECONDS + period / 2) / period).max(1)
}

/// The mean of each value and the ones before it, `window` in all (fewer at the start).
fn trailing_mean(values: &[f64], window: usize) -> Vec<f64> {
    (0..values.len())
        .map(|i| {
            let from = (i + 1).saturating_sub(window);
            values[from..=i].iter().sum::<f64>() / (i + 1 - from) as f64
        })
        .collect()
}

/// Two charts, one above the other, drawn with plotters: transfers a second (submitted, executed, each the
/// mean over a whole number of momentums, see [`rate_window`]) and latency (p50, p99), per second of the run.
fn plot(seconds: &[Second]) -> eyre::Result<String> {
    use plotters::prelude::*;
    let drawing = |e: &dyn std::fmt::Display| eyre::eyre!("cannot draw the plot: {e}");
    let counts = |count: fn(&Second) -> u64| seconds.iter().map(|s| count(s) as f64).collect::<Vec<f64>>();
    let (submitted, executed) = (counts(|s| s.submitted), counts(|s| s.executed));
    let window = rate_window(momentum_period(&executed));
    let (submitted, executed) = (trailing_mean(&submitted, window), trailing_mean(&executed, window));
    let rates: Vec<[f64; 2]> = submitted.into_iter().zip(executed).map(|(s, e)| [s, e]).collect();
    let latency: Vec<[f64; 2]> = seconds
        .iter()
        .map(|s| {
            let sorted = sorted(s.latencies.clone());
            [quantile(&sorted, 0.5), quantile(&sorted, 0.99)]
        })
        .collect();
    let rate_title = format!("transfers a second (mean over {window} s)");
    let charts: [Chart<'_>; 2] =
        [(&rate_title, &rates, ["submitted", "executed"]), ("submit to executed, seconds", &latency, ["p50", "p99"])];
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 600)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| drawing(&e))?;
        let last_second = seconds.len().max(2) as f64 - 1.0;
        for (area, (title, series, names)) in root.split_evenly((2, 1)).iter().zip(charts) {
            let max = series.iter().flat_map(|p| p.iter().copied()).filter(|v| v.is_finite()).fold(0.0, f64::max);
            let mut chart = ChartBuilder::on(area)
                .caption(title, ("sans-serif", 16))
                .margin(10)
                .x_label_area_size(30)
                .y_label_area_size(50)
                .build_cartesian_2d(0.0..last_second, 0.0..(max * 1.05).max(1e-3))
                .map_err(|e| drawing(&e))?;
            chart.configure_mesh().x_desc("second of the run").draw().map_err(|e| drawing(&e))?;
            // The first series wide and pale beneath, the second narrow on top: where they agree both show.
            let styles = [BLUE.mix(0.45).stroke_width(5), RED.stroke_width(2)];
            for (k, (name, style)) in names.into_iter().zip(styles).enumerate() {
                let points = series.iter().enumerate().filter(|(_, p)| p[k].is_finite()).map(|(i, p)| (i as f64, p[k]));
                chart
                    .draw_series(LineSeries::new(points, style))
                    .map_err(|e| drawing(&e))?
                    .label(name)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
            }
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .background_style(WHITE)
                .border_style(BLACK)
                .draw()
                .map_err(|e| drawing(&e))?;
        }
        root.present().map_err(|e| drawing(&e))?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_of_a_sorted_run() {
        let values = sorted(vec![3.0, 1.0, 2.0, 5.0, 4.0]);
        assert_eq!(quantile(&values, 0.5), 3.0);
        assert_eq!(quantile(&values, 0.99), 5.0);
        assert!(quantile(&[], 0.5).is_nan());
    }

    #[test]
    fn the_plot_is_an_svg_with_both_charts() {
        let seconds = vec![
            Second { submitted: 10, executed: 8, latencies: vec![1.0, 1.5], ..Second::default() },
            Second { submitted: 12, executed: 12, latencies: vec![1.2], ..Second::default() },
        ];
        let svg = plot(&seconds).unwrap();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"), "{svg}");
        // Four series and their four legend marks.
        assert!(svg.matches("<polyline").count() >= 8, "{svg}");
        for text in [
            "transfers a second (mean over 10 s)",
            "submit to executed, seconds",
            "submitted",
            "executed",
            "p50",
            "p99",
        ] {
            assert!(svg.contains(&format!(">{text}<")) || svg.contains(&format!(">\n{text}\n<")), "{text} in {svg}");
        }
        assert!(plot(&[]).is_ok(), "an empty run still draws");
    }

    /// 300 a second executed a momentum every 2 s reads 0, 600, 0, 600 by the second: averaged, the line is
    /// near 300, beside the submitted one, not swinging over it.
    #[test]
    fn rates_are_averaged_over_whole_momentums_and_come_out_flat() {
        for period in [1usize, 2, 3, 10] {
            let executed: Vec<f64> =
                (0..120).map(|i| if i % period == 0 { 300.0 * period as f64 } else { 0.0 }).collect();
            assert_eq!(momentum_period(&executed), period);
            let window = rate_window(period);
            assert_eq!(window % period, 0, "{period}");
            for value in &trailing_mean(&executed, window)[window..] {
                assert_eq!(*value, 300.0, "period {period}, window {window}");
            }
        }
        assert_eq!(rate_window(3), 9);
        assert_eq!(momentum_period(&[0.0, 5.0]), 1);
        assert!(trailing_mean(&[], 5).is_empty());
    }
}
