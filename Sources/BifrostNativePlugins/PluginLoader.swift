public import BifrostCore
import CBifrostPlugin
public import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Loads native plugins from `.so` files.
///
/// Libraries are opened with `RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE` and never closed:
/// unloading a library that contains Swift code crashes the next type check.
///
/// ```swift
/// let plugin = try PluginLoader.load(file: "plugins/10-alias.so", configuration: Array(#"{"fast":"mock/echo"}"#.utf8))
/// ```
public enum PluginLoader {
    /// Opens `file`, finds `bifrost_plugin_create`, creates the plugin and checks its table.
    public static func load(
        file: String,
        configuration: [UInt8] = [],
        logger: Logger = Logger(label: "bifrost.plugin"),
        metrics: MetricsRegistry = .shared
    ) throws(PluginLoadError) -> NativePlugin {
        guard access(file, R_OK) == 0 else {
            throw PluginLoadError(
                file: file, kind: .fileNotFound, reason: "cannot read the file: \(String(cString: strerror(errno)))")
        }
        _ = dlerror()
        // A bare file name would make dlopen search the library path instead of opening the file.
        let path = file.contains("/") ? file : "./" + file
        guard let library = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
            let message = dlerror().map { String(cString: $0) } ?? "unknown dlopen error"
            throw PluginLoadError(file: file, kind: .notLoadable, reason: "not a loadable shared object: \(message)")
        }
        guard let symbol = dlsym(library, BIFROST_PLUGIN_CREATE_SYMBOL) else {
            throw PluginLoadError(
                file: file, kind: .missingEntryPoint,
                reason:
                    "no '\(BIFROST_PLUGIN_CREATE_SYMBOL)' symbol exported (mark it BIFROST_EXPORT in C, or @_cdecl(\"\(BIFROST_PLUGIN_CREATE_SYMBOL)\") public in Swift)"
            )
        }
        let create = unsafeBitCast(symbol, to: bifrost_plugin_create_fn.self)
        return try NativePlugin.create(source: file, configuration: configuration, logger: logger, metrics: metrics) {
            host, token, config, length in
            create(host, token, config, length)
        }
    }
}
