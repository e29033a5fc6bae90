//! One multi-threaded tokio runtime for the library. Async calls run on it and the caller
//! only awaits the join handle, so the foreign executor (Kotlin coroutines, Swift tasks,
//! asyncio) never runs Hedgerow's work on its own thread, and the core's tokio-based
//! storage and networking always find their runtime.

use crate::HedgerowError;
use std::future::Future;
use std::sync::LazyLock;

static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("hedgerow")
        // A sync's future is deep: debug builds' frames outgrow tokio's 2 MiB default.
        .thread_stack_size(8 * 1024 * 1024)
        .enable_all()
        .build()
        .expect("the operating system refused to start Hedgerow's worker threads")
});

/// Runs `work` on the library's runtime and waits for it without blocking a thread.
pub(crate) async fn run<T, F>(work: F) -> Result<T, HedgerowError>
where
    T: Send + 'static,
    F: Future<Output = Result<T, HedgerowError>> + Send + 'static,
{
    match RUNTIME.spawn(work).await {
        Ok(result) => result,
        Err(e) => {
            tracing::error!(error = %e, "a Hedgerow call stopped unexpectedly");
            Err(HedgerowError::Internal { detail: format!("the call stopped unexpectedly: {e}") })
        }
    }
}
