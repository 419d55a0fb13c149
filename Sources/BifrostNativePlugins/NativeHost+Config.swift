import BifrostCore
import CBifrostPlugin

extension NativeHost {
    static func installConfigServices(_ api: inout bifrost_host_api) {
        api.config_root = { token, out in
            guard let identity = PluginIdentity.resolve(token) else { return BIFROST_ERR_INVALID_HANDLE }
            guard identity.isCreating else { return NativeHost.configLate(identity, "config_root") }
            guard let out else { return NativeHost.configMisuse(identity, "config_root: output pointer is NULL") }
            switch identity.configurationDocument() {
            case .success(let serial):
                out.pointee = ConfigDocuments.handle(serial: serial, index: 0)
                return BIFROST_OK
            case .failure(let failure):
                return NativeHost.configMisuse(identity, "config_root: the configuration is not JSON: \(failure.reason)")
            }
        }
        api.config_lookup = { node, path, out in
            NativeHost.configRead(node, path, out, "config_lookup") { resolved, index, out in
                out.pointee = resolved.handle(index)
                return BIFROST_OK
            }
        }
        api.config_kind = { node, path, out in
            NativeHost.configRead(node, path, out, "config_kind") { resolved, index, out in
                out.pointee = resolved.document.nodes[index].kind
                return BIFROST_OK
            }
        }
        api.config_get_string = { node, path, out in
            NativeHost.configRead(node, path, out, "config_get_string") { resolved, index, out in
                let value = resolved.document.nodes[index]
                guard value.kind == BIFROST_CONFIG_STRING else { return BIFROST_ERR_WRONG_TYPE }
                out.pointee = resolved.document.borrow(value.string)
                return BIFROST_OK
            }
        }
        api.config_get_double = { node, path, out in
            NativeHost.configRead(node, path, out, "config_get_double") { resolved, index, out in
                guard let number = resolved.document.nodes[index].number, number.doubleValue.isFinite else {
                    return BIFROST_ERR_WRONG_TYPE
                }
                out.pointee = number.doubleValue
                return BIFROST_OK
            }
        }
        api.config_get_int64 = { node, path, out in
            NativeHost.configRead(node, path, out, "config_get_int64") { resolved, index, out in
                guard let number = resolved.document.nodes[index].number, let whole = NativeHost.exactInt64(number) else {
                    return BIFROST_ERR_WRONG_TYPE
                }
                out.pointee = whole
                return BIFROST_OK
            }
        }
        api.config_get_bool = { node, path, out in
            NativeHost.configRead(node, path, out, "config_get_bool") { resolved, index, out in
                let value = resolved.document.nodes[index]
                guard value.kind == BIFROST_CONFIG_BOOL else { return BIFROST_ERR_WRONG_TYPE }
                out.pointee = value.flag ? 1 : 0
                return BIFROST_OK
            }
        }
        api.config_count = { node, path, out in
            NativeHost.configRead(node, path, out, "config_count") { resolved, index, out in
                let value = resolved.document.nodes[index]
                guard value.kind == BIFROST_CONFIG_ARRAY || value.kind == BIFROST_CONFIG_OBJECT else {
                    return BIFROST_ERR_WRONG_TYPE
                }
                out.pointee = value.children.count
                return BIFROST_OK
            }
        }
        api.config_element = { node, path, position, out in
            NativeHost.configRead(node, path, out, "config_element") { resolved, index, out in
                let value = resolved.document.nodes[index]
                guard value.kind == BIFROST_CONFIG_ARRAY else { return BIFROST_ERR_WRONG_TYPE }
                guard UInt(bitPattern: position) < UInt(value.children.count) else {
                    return NativeHost.configMisuse(
                        resolved.identity,
                        "config_element: index \(UInt(bitPattern: position)) out of range (\(value.children.count) elements)",
                        status: BIFROST_ERR_OUT_OF_RANGE)
                }
                out.pointee = resolved.handle(value.children.lowerBound + position)
                return BIFROST_OK
            }
        }
        api.config_member = { node, path, position, nameOut, valueOut in
            guard nameOut != nil || valueOut != nil else {
                return NativeHost.configMisuseUnresolved(node, "config_member: both output pointers are NULL")
            }
            // Either out-pointer may be NULL; the read goes through the one that is not.
            var ignored = bifrost_str()
            return withUnsafeMutablePointer(to: &ignored) { scratch in
                NativeHost.configRead(node, path, nameOut ?? scratch, "config_member") { resolved, index, nameOut in
                    let value = resolved.document.nodes[index]
                    guard value.kind == BIFROST_CONFIG_OBJECT else { return BIFROST_ERR_WRONG_TYPE }
                    guard UInt(bitPattern: position) < UInt(value.children.count) else {
                        return NativeHost.configMisuse(
                            resolved.identity,
                            "config_member: index \(UInt(bitPattern: position)) out of range (\(value.children.count) members)",
                            status: BIFROST_ERR_OUT_OF_RANGE)
                    }
                    let member = value.children.lowerBound + position
                    nameOut.pointee = resolved.document.borrow(resolved.document.nodes[member].name ?? 0..<0)
                    valueOut?.pointee = resolved.handle(member)
                    return BIFROST_OK
                }
            }
        }
        api.config_refuse = { token, node, path, message in
            guard let identity = PluginIdentity.resolve(token) else { return BIFROST_ERR_INVALID_HANDLE }
            guard identity.isCreating else { return NativeHost.configLate(identity, "config_refuse") }
            let resolved: ConfigDocuments.Resolved
            switch ConfigDocuments.shared.resolve(node) {
            case .node(let found) where found.identity === identity: resolved = found
            case .node, .invalid, .retired:
                return NativeHost.configMisuse(
                    identity, "config_refuse was given a node that is not one of this plugin's configuration",
                    status: BIFROST_ERR_INVALID_HANDLE)
            }
            let steps: [ConfigPath.Step]
            do throws(ConfigPath.Malformed) {
                steps = try ConfigPath.parse(NativeHost.configBytes(path))
            } catch {
                return NativeHost.configMisuse(identity, "config_refuse: malformed path at byte \(error.offset): \(error.reason)")
            }
            let field = ConfigPath.render(resolved.document.steps(to: resolved.index) + steps)
            identity.refusedField = field
            identity.createError = "\(field.isEmpty ? "the configuration" : field): \(NativeHost.decodeLossy(message))"
            return BIFROST_OK
        }
    }

    /// Resolves a node handle and the path below it, then reads through `read` with the value's index.
    private static func configRead<T>(
        _ node: OpaquePointer?, _ path: bifrost_str, _ out: UnsafeMutablePointer<T>?, _ function: StaticString,
        _ read: (ConfigDocuments.Resolved, Int, UnsafeMutablePointer<T>) -> bifrost_status
    ) -> bifrost_status {
        let resolved: ConfigDocuments.Resolved
        switch ConfigDocuments.shared.resolve(node) {
        case .node(let found): resolved = found
        case .retired:
            logger.warning("a native plugin called \(function) after bifrost_plugin_create returned; refused")
            return BIFROST_ERR_WRONG_STATE
        case .invalid:
            logger.warning("a native plugin called \(function) with a handle that is no configuration node; refused unread")
            return BIFROST_ERR_INVALID_HANDLE
        }
        guard let out else { return configMisuse(resolved.identity, "\(function): output pointer is NULL") }
        let steps: [ConfigPath.Step]
        do throws(ConfigPath.Malformed) {
            steps = try ConfigPath.parse(configBytes(path))
        } catch {
            return configMisuse(resolved.identity, "\(function): malformed path at byte \(error.offset): \(error.reason)")
        }
        switch resolved.document.lookup(from: resolved.index, path: steps) {
        case .found(let index): return read(resolved, index, out)
        case .failed(let status): return status
        }
    }

    /// A path's bytes; a NULL pointer with a length is read as no bytes, which a later check refuses.
    private static func configBytes(_ path: bifrost_str) -> UnsafeRawBufferPointer {
        guard let pointer = path.ptr, path.len > 0 else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: pointer, count: path.len)
    }

    /// A misuse during create: logged with the plugin's name, which has no hook to fault.
    private static func configMisuse(
        _ identity: PluginIdentity, _ message: String, status: bifrost_status = BIFROST_ERR_INVALID_ARGUMENT
    ) -> bifrost_status {
        identity.log(level: BIFROST_LOG_ERROR, message: message)
        return status
    }

    private static func configMisuseUnresolved(_ node: OpaquePointer?, _ message: String) -> bifrost_status {
        if case .node(let resolved) = ConfigDocuments.shared.resolve(node) {
            return configMisuse(resolved.identity, message)
        }
        logger.warning("a native plugin: \(message)")
        return BIFROST_ERR_INVALID_ARGUMENT
    }

    private static func configLate(_ identity: PluginIdentity, _ function: String) -> bifrost_status {
        identity.log(level: BIFROST_LOG_ERROR, message: "\(function) is only allowed while bifrost_plugin_create runs")
        return BIFROST_ERR_WRONG_STATE
    }

    /// The number as an `int64_t` when it is whole and in range: an integer as written, or a
    /// fraction or exponent form whose value is whole and exact in a double (`2.0`, `1e3`).
    static func exactInt64(_ number: JSONNumber) -> Int64? {
        if let whole = Int64(number.text) { return whole }
        let value = number.doubleValue
        guard value.isFinite, value.rounded() == value, abs(value) <= 9_007_199_254_740_992 else { return nil }
        return Int64(value)
    }
}
