import BifrostCore
import Testing

@Suite("Metrics registry and Prometheus exposition")
struct MetricsRegistryTests {
    @Test func rendersCountersGaugesAndHistogramsInTheTextFormat() throws {
        let metrics = MetricsRegistry()
        let requests = try metrics.define(
            MetricDefinition(kind: .counter, name: "bifrost_requests_total", help: "Requests.", labelNames: ["status"]))
        requests.series(["200"]).add(2)
        requests.series(["429"]).add(1)
        try metrics.define(MetricDefinition(kind: .gauge, name: "bifrost_in_flight", help: "In flight.")).series([]).set(3)
        let latency = try metrics.define(
            MetricDefinition(kind: .histogram, name: "bifrost_latency_seconds", help: "Latency.", buckets: [0.1, 1]))
        let series = latency.series([])
        for value in [0.05, 0.5, 5] { series.observe(value) }

        #expect(
            metrics.render() == """
                # HELP bifrost_in_flight In flight.
                # TYPE bifrost_in_flight gauge
                bifrost_in_flight 3
                # HELP bifrost_latency_seconds Latency.
                # TYPE bifrost_latency_seconds histogram
                bifrost_latency_seconds_bucket{le="0.1"} 1
                bifrost_latency_seconds_bucket{le="1"} 2
                bifrost_latency_seconds_bucket{le="+Inf"} 3
                bifrost_latency_seconds_sum 5.55
                bifrost_latency_seconds_count 3
                # HELP bifrost_requests_total Requests.
                # TYPE bifrost_requests_total counter
                bifrost_requests_total{status="200"} 2
                bifrost_requests_total{status="429"} 1

                """)
        #expect(series.count == 3)
    }

    @Test func escapesLabelValuesAndHelp() throws {
        let metrics = MetricsRegistry()
        let family = try metrics.define(
            MetricDefinition(kind: .counter, name: "x_total", help: "a \\ b\nc", labelNames: ["model"]))
        family.series(["say \"hi\"\n"]).add(1)
        let text = metrics.render()
        #expect(text.contains(#"# HELP x_total a \\ b\nc"#))
        #expect(text.contains(#"x_total{model="say \"hi\"\n"} 1"#))
    }

    @Test func sameDefinitionTwiceIsOneFamilyAndAConflictIsRefused() throws {
        let metrics = MetricsRegistry()
        let definition = MetricDefinition(kind: .counter, name: "a_total", help: "A.", labelNames: ["x"])
        let first = try metrics.define(definition)
        let second = try metrics.define(definition)
        #expect(first === second)
        #expect(throws: MetricsError.self) {
            try metrics.define(MetricDefinition(kind: .gauge, name: "a_total", help: "A.", labelNames: ["x"]))
        }
    }

    @Test(arguments: [
        MetricDefinition(kind: .counter, name: "9starts_with_digit", help: ""),
        MetricDefinition(kind: .counter, name: "has-dash", help: ""),
        MetricDefinition(kind: .counter, name: "ok", help: "", labelNames: ["le"]),
        MetricDefinition(kind: .counter, name: "ok", help: "", labelNames: ["__reserved"]),
        MetricDefinition(kind: .counter, name: "ok", help: "", labelNames: ["a", "a"]),
        MetricDefinition(kind: .histogram, name: "ok", help: "", buckets: [1, 0.5]),
    ])
    func refusesInvalidDefinitions(definition: MetricDefinition) {
        #expect(throws: MetricsError.self) { try MetricsRegistry().define(definition) }
    }

    @Test func recordingFromManyTasksLosesNothing() async throws {
        let metrics = MetricsRegistry()
        let counter = try metrics.define(MetricDefinition(kind: .counter, name: "c_total", help: "C.")).series([])
        let histogram = try metrics.define(MetricDefinition(kind: .histogram, name: "h_seconds", help: "H.")).series([])
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    for _ in 0..<1_000 {
                        counter.add(1)
                        histogram.observe(0.001)
                    }
                }
            }
        }
        #expect(counter.value == 8_000)
        #expect(histogram.count == 8_000)
        #expect(abs(histogram.sum - 8.0) < 1e-9)
    }
}
