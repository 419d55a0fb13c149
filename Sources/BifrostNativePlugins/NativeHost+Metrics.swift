import BifrostCore
import CBifrostPlugin

extension NativeHost {
    static func installMetricServices(_ api: inout bifrost_host_api) {
        api.metric_define = { token, spec, out in
            guard let identity = PluginIdentity.resolve(token) else { return BIFROST_ERR_INVALID_HANDLE }
            guard identity.isCreating else {
                identity.log(level: BIFROST_LOG_ERROR, message: "metric_define is only allowed while bifrost_plugin_create runs")
                return BIFROST_ERR_WRONG_STATE
            }
            guard let spec, let out else {
                identity.log(level: BIFROST_LOG_ERROR, message: "metric_define: spec or output pointer is NULL")
                return BIFROST_ERR_INVALID_ARGUMENT
            }
            guard let definition = NativeHost.definition(from: spec, identity: identity) else {
                return BIFROST_ERR_INVALID_ARGUMENT
            }
            do {
                let family = try identity.metrics.define(definition)
                out.pointee = OpaquePointer(Unmanaged.passRetained(family).toOpaque())
                return BIFROST_OK
            } catch {
                identity.log(level: BIFROST_LOG_ERROR, message: "metric_define: \(error)")
                return BIFROST_ERR_INVALID_ARGUMENT
            }
        }
        api.metric_record = { metric, labels, count, value in
            guard let series = NativeHost.series(metric, labels, count, "metric_record") else {
                return BIFROST_ERR_INVALID_ARGUMENT
            }
            guard value.isFinite, series.kind != .counter || value >= 0 else {
                NativeHost.lateOrLoose("metric_record: value \(value) is not finite, or negative for a counter")
                return BIFROST_ERR_INVALID_ARGUMENT
            }
            series.series.add(value)
            return BIFROST_OK
        }
        api.metric_set = { metric, labels, count, value in
            guard let series = NativeHost.series(metric, labels, count, "metric_set") else { return BIFROST_ERR_INVALID_ARGUMENT }
            guard series.kind == .gauge, value.isFinite else {
                NativeHost.lateOrLoose("metric_set: only a gauge can be set, to a finite value")
                return BIFROST_ERR_INVALID_ARGUMENT
            }
            series.series.set(value)
            return BIFROST_OK
        }
    }

    static func installSeriesServices(_ api: inout bifrost_host_api) {
        api.metric_series = { metric, labels, count, out in
            guard let series = NativeHost.series(metric, labels, count, "metric_series") else {
                return BIFROST_ERR_INVALID_ARGUMENT
            }
            guard let out else {
                NativeHost.lateOrLoose("metric_series: output pointer is NULL")
                return BIFROST_ERR_INVALID_ARGUMENT
            }
            // Series live as long as their family, which lives as long as the process.
            out.pointee = OpaquePointer(Unmanaged.passUnretained(series.series).toOpaque())
            return BIFROST_OK
        }
        api.metric_series_record = { handle, value in
            guard let handle else { return BIFROST_ERR_INVALID_ARGUMENT }
            let series = Unmanaged<MetricSeries>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
            guard value.isFinite, series.kind != .counter || value >= 0 else {
                NativeHost.lateOrLoose("metric_series_record: value \(value) is not finite, or negative for a counter")
                return BIFROST_ERR_INVALID_ARGUMENT
            }
            series.add(value)
            return BIFROST_OK
        }
        api.metric_series_set = { handle, value in
            guard let handle else { return BIFROST_ERR_INVALID_ARGUMENT }
            let series = Unmanaged<MetricSeries>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
            guard series.kind == .gauge, value.isFinite else {
                NativeHost.lateOrLoose("metric_series_set: only a gauge can be set, to a finite value")
                return BIFROST_ERR_INVALID_ARGUMENT
            }
            series.set(value)
            return BIFROST_OK
        }
    }

    private static func definition(
        from spec: UnsafePointer<bifrost_metric_spec>, identity: PluginIdentity
    ) -> MetricDefinition? {
        let size = Int(spec.pointee.struct_size)
        guard size >= MemoryLayout<bifrost_metric_spec>.size else {
            identity.log(
                level: BIFROST_LOG_ERROR,
                message: "metric_define: spec struct_size \(size) is smaller than \(MemoryLayout<bifrost_metric_spec>.size)")
            return nil
        }
        let spec = spec.pointee
        let kind: MetricDefinition.Kind
        switch spec.kind {
        case BIFROST_METRIC_COUNTER: kind = .counter
        case BIFROST_METRIC_GAUGE: kind = .gauge
        case BIFROST_METRIC_HISTOGRAM: kind = .histogram
        default:
            identity.log(level: BIFROST_LOG_ERROR, message: "metric_define: unknown metric kind \(spec.kind)")
            return nil
        }
        guard spec.label_count == 0 || spec.label_names != nil, spec.bucket_count == 0 || spec.buckets != nil else {
            identity.log(level: BIFROST_LOG_ERROR, message: "metric_define: label_names or buckets is NULL with a count")
            return nil
        }
        let labels = (0..<spec.label_count).map { decodeLossy(spec.label_names[$0]) }
        let buckets = (0..<spec.bucket_count).map { spec.buckets[$0] }
        return MetricDefinition(
            kind: kind, name: decodeLossy(spec.name), help: decodeLossy(spec.help), labelNames: labels, buckets: buckets)
    }

    static func series(
        _ metric: OpaquePointer?, _ labels: UnsafePointer<bifrost_str>?, _ count: Int, _ function: StaticString
    ) -> (series: MetricSeries, kind: MetricDefinition.Kind)? {
        guard let metric else {
            lateOrLoose("\(function): metric is NULL")
            return nil
        }
        let family = Unmanaged<MetricFamily>.fromOpaque(UnsafeRawPointer(metric)).takeUnretainedValue()
        let expected = family.definition.labelNames.count
        guard count == expected, count == 0 || labels != nil else {
            lateOrLoose("\(function): metric '\(family.definition.name)' has \(expected) labels, got \(count) values")
            return nil
        }
        let values = (0..<count).map { decodeLossy(labels![$0]) }
        return (family.series(values), family.definition.kind)
    }

    /// A metric misuse: a fault of the running hook when there is one, a warning otherwise
    /// (plugins record from their own threads too).
    static func lateOrLoose(_ message: String) {
        if let session = NativeSession.running {
            session.recordFault(message)
        } else {
            logger.warning("a native plugin misused a metric: \(message)")
        }
    }
}
