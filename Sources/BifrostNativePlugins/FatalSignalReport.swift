import CBifrostHostSupport

/// What the process prints when a native plugin (or anything else) crashes it: the signal and
/// a stack of frame addresses with their shared objects and symbols, so the faulting plugin's
/// `.so` is named, and never memory contents, which could hold a request's keys or messages.
///
/// It replaces the Swift runtime's crash reporter, which dumps memory and registers and can
/// deadlock on a stack overflow. The process ends with the signal within a few seconds in
/// every case, a stack overflow on a thread that ran a hook included, so a supervisor can
/// restart it; a fatal signal a plugin raises on purpose is never survived.
///
/// ```swift
/// if !FatalSignalReport.install() { logger.warning("the crash report could not be installed") }
/// ```
public enum FatalSignalReport {
    /// Installs the report for the whole process; `false` if the system refused a handler.
    @discardableResult
    public static func install() -> Bool {
        bifrost_host_install_fatal_signal_report() == 0
    }
}
