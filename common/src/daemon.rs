//! What every zrollup binary does the same way: one tracing subscriber (filter from `ZR_LOG`), and a `main`
//! that prints the error chain and exits non-zero.

/// Installs the tracing subscriber; `ZR_LOG` (an `EnvFilter`) overrides `default_filter`.
pub fn init_tracing(default_filter: &str) {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ZR_LOG").unwrap_or_else(|_| default_filter.into()),
        )
        .with_writer(std::io::stderr)
        .init();
}

/// Prints `error` and its causes to stderr and exits with status 1.
pub fn exit_with(error: &(dyn std::error::Error + 'static)) -> ! {
    eprintln!("error: {error}");
    let mut cause = error.source();
    while let Some(inner) = cause {
        eprintln!("  caused by: {inner}");
        cause = inner.source();
    }
    std::process::exit(1);
}
