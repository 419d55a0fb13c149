extension Duration {
    /// The duration in whole nanoseconds, saturating at `Int64`'s bounds.
    ///
    /// ```swift
    /// Duration.milliseconds(1500).wholeNanoseconds  // 1_500_000_000
    /// ```
    var wholeNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return whole.addingReportingOverflow(attoseconds / 1_000_000_000).partialValue
    }

    /// The duration in whole milliseconds.
    ///
    /// ```swift
    /// Duration.seconds(2).wholeMilliseconds  // 2000
    /// ```
    public var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
