/// What a metric family is: its kind, Prometheus name, help text, label names and, for a
/// histogram, its bucket upper bounds.
///
/// ```swift
/// MetricDefinition(kind: .counter, name: "bifrost_cache_hits_total", help: "Cache hits.", labelNames: ["model"])
/// ```
public struct MetricDefinition: Sendable, Hashable {
    /// The kind of a metric family.
    public enum Kind: String, Sendable, Hashable {
        /// Only goes up; `add` a non-negative amount.
        case counter
        /// Goes up and down; `set` it or `add` to it.
        case gauge
        /// Counts observations into buckets, with their sum.
        case histogram
    }

    /// The kind.
    public var kind: Kind
    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`, e.g. `bifrost_requests_total`.
    public var name: String
    /// One line describing the metric.
    public var help: String
    /// Label names, `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__`, not `le`.
    public var labelNames: [String]
    /// Histogram bucket upper bounds, ascending and finite; `+Inf` is implied.
    public var buckets: [Double]

    /// Latency buckets in seconds from 100 µs to 60 s.
    ///
    /// ```swift
    /// MetricDefinition(kind: .histogram, name: "x_seconds", help: "x", buckets: MetricDefinition.latencyBuckets)
    /// ```
    public static let latencyBuckets: [Double] = [
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
    ]

    /// Creates a definition; a histogram without buckets gets ``latencyBuckets``.
    ///
    /// ```swift
    /// let definition = MetricDefinition(kind: .gauge, name: "bifrost_in_flight", help: "Requests in flight.")
    /// ```
    public init(kind: Kind, name: String, help: String, labelNames: [String] = [], buckets: [Double] = []) {
        self.kind = kind
        self.name = name
        self.help = help
        self.labelNames = labelNames
        self.buckets = kind == .histogram && buckets.isEmpty ? Self.latencyBuckets : (kind == .histogram ? buckets : [])
    }

    func validate() throws(MetricsError) {
        guard Self.isValidName(name, allowColon: true) else {
            throw MetricsError(name: name, reason: "not a valid Prometheus metric name (expected [a-zA-Z_:][a-zA-Z0-9_:]*)")
        }
        for label in labelNames {
            guard Self.isValidName(label, allowColon: false), !label.hasPrefix("__"), label != "le" else {
                throw MetricsError(
                    name: name, reason: "label '\(label)' is not valid (expected [a-zA-Z_][a-zA-Z0-9_]*, not '__…' or 'le')")
            }
        }
        guard Set(labelNames).count == labelNames.count else {
            throw MetricsError(name: name, reason: "label names repeat: [\(labelNames.joined(separator: ", "))]")
        }
        if kind == .histogram {
            guard buckets.allSatisfy(\.isFinite), zip(buckets, buckets.dropFirst()).allSatisfy({ $0 < $1 }) else {
                throw MetricsError(name: name, reason: "histogram buckets must be finite and strictly ascending")
            }
        }
    }

    private static func isValidName(_ name: String, allowColon: Bool) -> Bool {
        guard let first = name.utf8.first else { return false }
        func isLetter(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || byte == UInt8(ascii: "_") || (allowColon && byte == UInt8(ascii: ":"))
        }
        guard isLetter(first) else { return false }
        return name.utf8.allSatisfy { isLetter($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}

/// A metric definition or recording that was refused.
///
/// ```swift
/// do { _ = try metrics.define(definition) } catch { print(error) }  // metric 'x-y': not a valid …
/// ```
public struct MetricsError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The metric's name.
    public var name: String
    /// What was wrong.
    public var reason: String

    /// Creates an error.
    public init(name: String, reason: String) {
        self.name = name
        self.reason = reason
    }

    public var description: String { "metric '\(name)': \(reason)" }
}
