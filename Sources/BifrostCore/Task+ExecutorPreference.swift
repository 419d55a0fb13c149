extension Task where Success == Never, Failure == Never {
    /// The task executor the current task prefers (``TaskExecutor``), or `nil` outside a task
    /// or in one without a preference.
    ///
    /// Unstructured tasks do not inherit a preference: a stage that feeds its consumer from a
    /// task of its own passes this on, so it runs where the consumer does (for a gateway
    /// request, the connection's event loop) and a chunk handed over costs no thread wake-up.
    ///
    /// ```swift
    /// let producer = Task(executorPreference: Task.currentExecutorPreference) { await produce() }
    /// ```
    public static var currentExecutorPreference: (any TaskExecutor)? {
        withUnsafeCurrentTask { $0?.unownedTaskExecutor?.asTaskExecutor() }
    }
}
