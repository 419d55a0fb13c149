public import Testing

extension PluginCases {
    /// Runs the cases and records each failing case as an issue of the current test, naming the
    /// case and what did not hold; returns the report. A run that cannot happen (no `bifrost`,
    /// no library, a refused load) is thrown.
    ///
    /// ```swift
    /// @Test func cases() throws {
    ///     try PluginCases(library: PluginCases.builtLibrary(product: "HelloPlugin"), cases: "cases.json")
    ///         .expectAllPass()
    /// }
    /// ```
    @discardableResult
    public func expectAllPass(sourceLocation: SourceLocation = #_sourceLocation) throws(PluginCasesError) -> Report {
        let report = try run()
        for result in report.failed {
            Issue.record("\(result)", sourceLocation: sourceLocation)
        }
        if report.results.isEmpty {
            Issue.record("\(cases) holds no cases", sourceLocation: sourceLocation)
        }
        return report
    }
}
