extension MetricsRegistry {
    /// The Prometheus text exposition format (version 0.0.4) content type.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Every family in Prometheus's text format, families and series in a stable order, then the
    /// text of each exposition source (``addExpositionSource(_:)``).
    ///
    /// ```swift
    /// let body = metrics.render()  // "# HELP bifrost_requests_total …\n# TYPE …"
    /// ```
    public func render() -> String {
        var output = ""
        for family in sortedFamilies {
            let definition = family.definition
            output += "# HELP \(definition.name) \(Self.escapeHelp(definition.help))\n"
            output += "# TYPE \(definition.name) \(definition.kind.rawValue)\n"
            for (labels, series) in family.sortedSeries {
                let pairs = zip(definition.labelNames, labels).map { "\($0)=\"\(Self.escapeLabel($1))\"" }
                switch definition.kind {
                case .counter, .gauge:
                    output += "\(definition.name)\(Self.labelSet(pairs)) \(Self.format(series.value))\n"
                case .histogram:
                    let counts = series.cumulativeCounts
                    for (bound, count) in zip(definition.buckets.map(Self.format) + ["+Inf"], counts) {
                        output += "\(definition.name)_bucket\(Self.labelSet(pairs + ["le=\"\(bound)\""])) \(count)\n"
                    }
                    output += "\(definition.name)_sum\(Self.labelSet(pairs)) \(Self.format(series.sum))\n"
                    output += "\(definition.name)_count\(Self.labelSet(pairs)) \(counts.last ?? 0)\n"
                }
            }
        }
        return output + externalExposition
    }

    private static func labelSet(_ pairs: [String]) -> String {
        pairs.isEmpty ? "" : "{\(pairs.joined(separator: ","))}"
    }

    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    private static func escapeLabel(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") || $0 == 0x0A }) else {
            return value
        }
        return value.replacingBytes([("\\", "\\\\"), ("\"", "\\\""), ("\n", "\\n")])
    }

    private static func escapeHelp(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == 0x0A }) else { return value }
        return value.replacingBytes([("\\", "\\\\"), ("\n", "\\n")])
    }
}

extension String {
    fileprivate func replacingBytes(_ replacements: [(Character, String)]) -> String {
        var result = ""
        for character in self {
            if let replacement = replacements.first(where: { $0.0 == character }) {
                result += replacement.1
            } else {
                result.append(character)
            }
        }
        return result
    }
}
