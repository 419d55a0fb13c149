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
    /// The SHA-256 of `file`'s content in hexadecimal: what ``load(file:configuration:handedState:logger:metrics:)``
    /// would record as the plugin's ``BifrostCore/PluginDescriptor/contentHash``.
    ///
    /// ```swift
    /// let changed = try PluginLoader.contentHash(of: file) != plugin.descriptor.contentHash
    /// ```
    public static func contentHash(of file: String) throws(PluginLoadError) -> String {
        try PluginFileStore.shared.contentHash(of: file)
    }

    /// Opens `file`, finds `bifrost_plugin_create`, creates the plugin and checks its table.
    /// `handedState` is what the instance it replaces exported (`get_handed_state` during create).
    public static func load(
        file: String,
        configuration: [UInt8] = [],
        handedState: [UInt8]? = nil,
        logger: Logger = Logger(label: "bifrost.plugin"),
        metrics: MetricsRegistry = .shared
    ) throws(PluginLoadError) -> NativePlugin {
        guard access(file, R_OK) == 0 else {
            throw PluginLoadError(
                file: file, kind: .fileNotFound, reason: "cannot read the file: \(String(cString: strerror(errno)))")
        }
        // The copy's name is all the loader keeps once it is mapped, so the same content opened
        // again finds the same library.
        let (staged, opened, failure) = try PluginFileStore.shared.withCopy(of: file) { staged in
            _ = dlerror()
            let opened = dlopen(staged.path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE)
            return (staged, opened, opened == nil ? dlerror().map { String(cString: $0) } : nil)
        }
        guard let library = opened else {
            let message = (failure ?? "unknown dlopen error").replacing(staged.path, with: file)
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
        return try NativePlugin.create(
            source: file, configuration: configuration, logger: logger, metrics: metrics, contentHash: staged.hash,
            library: UnsafeRawPointer(symbol),
            handedState: handedState
        ) { host, token, config, length in
            create(host, token, config, length)
        }
    }
}
