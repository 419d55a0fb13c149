import NIOCore

/// Runs Swift tasks on a NIO event loop, so a request's task starts, awaits and finishes on
/// the thread that owns its connection: no thread wake-ups between reading the request and
/// writing the answer.
///
/// NIO 2.101 offers event loops as `SerialExecutor`s for actors but not as `TaskExecutor`s,
/// hence this small adapter. A job enqueued from the loop itself runs on a later tick of it.
final class EventLoopTaskExecutor: TaskExecutor {
    /// The loop that runs the jobs.
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
