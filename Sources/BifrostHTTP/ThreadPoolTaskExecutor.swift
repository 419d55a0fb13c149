import NIOPosix

/// Runs Swift tasks on a pool of threads of their own, for requests whose plugins may block
/// (``RequestExecutor/blockingPool``): a hook that blocks holds one of these threads, never a
/// network event loop nor one of the few threads of Swift's global executor, so only the
/// requests waiting for that hook wait.
///
/// One pool serves the process: its threads are created on first use and idle cheaply.
final class ThreadPoolTaskExecutor: TaskExecutor {
    /// How many threads the pool has: so many blocking hook calls can run at once.
    static let threadCount = 64

    /// The process's pool.
    static let shared = ThreadPoolTaskExecutor(threads: threadCount)

    private let pool: NIOThreadPool

    private init(threads: Int) {
        pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        pool.submit { _ in
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
