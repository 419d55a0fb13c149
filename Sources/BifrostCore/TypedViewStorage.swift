import Synchronization

/// A value whose typed view a decoder may leave in its wire, to be read when first asked for
/// (``ChatChunk``, ``ChatResponse``): what its ``TypedViewStorage`` needs to know of it.
protocol TypedViewReading: Sendable {
    /// The fields every value has at hand.
    associatedtype Fields: Hashable, Sendable
    /// The fields a decoder may leave in the wire.
    associatedtype TypedFields: Hashable, Sendable
    /// What reading them takes: the wire, and the decoder's function.
    associatedtype TypedViewReader: Sendable
    /// Reads the typed view: the box of a value whose ``TypedViewStorage/typed`` is set.
    static func readTypedView(_ reader: TypedViewReader) -> TypedViewStorage<Self>
}

/// The one box a chunk's or an answer's fields live in. Such a value is copied at every stage
/// it passes (buffers, hooks, the outcome, the writer), so a copy costs one retain, and a
/// change copies the box first when another value shares it (``unique(_:)``).
///
/// The typed view is given, or left in the wire by a decoder and then read once, by whichever
/// thread asks first, and kept for every copy.
// Safe: `fields`, `typed` and `typedViewChanged` are written only through the one value that
// holds the box alone (a shared one is copied first); the view read from the wire is
// published once, through an atomic, in a box of its own that is never written.
final class TypedViewStorage<Value: TypedViewReading>: Hashable, @unchecked Sendable {
    var fields: Value.Fields
    /// The typed view, when it was given or changed; `nil` while it is still in the wire.
    var typed: Value.TypedFields?
    /// Whether a typed field changed since the value was read.
    var typedViewChanged = false
    private let reader: Value.TypedViewReader?
    private let publishedView = AtomicLazyReference<TypedViewStorage>()

    init(_ fields: Value.Fields, typed: Value.TypedFields?, reader: Value.TypedViewReader?) {
        self.fields = fields
        self.typed = typed
        self.reader = reader
    }

    /// `storage`, given a box of its own first if another value shares it.
    static func unique(_ storage: inout TypedViewStorage) -> TypedViewStorage {
        if !isKnownUniquelyReferenced(&storage) {
            let copy = TypedViewStorage(
                storage.fields, typed: storage.typed ?? storage.publishedView.load()?.typed, reader: storage.reader)
            copy.typedViewChanged = storage.typedViewChanged
            storage = copy
        }
        return storage
    }

    /// The typed view, as given, changed or read.
    var typedView: Value.TypedFields { typed ?? readView().typed! }

    /// The typed view, to change: read first if it is still in the wire, and marked changed.
    var changingTypedView: Value.TypedFields {
        get { typedView }
        _modify {
            if typed == nil { typed = typedView }
            typedViewChanged = true
            yield &typed!
        }
    }

    /// The fields at hand, to change one that belongs to the typed view (a chunk's usage, an
    /// answer's model): marked changed.
    var changingFields: Value.Fields {
        get { fields }
        _modify {
            typedViewChanged = true
            yield &fields
        }
    }

    /// The box of the typed view read from the wire (its `typed` set), read by the first to
    /// ask, and kept.
    func readView() -> TypedViewStorage {
        if let published = publishedView.load() { return published }
        guard let reader else { return self }
        var view = Value.readTypedView(reader)
        if view.typed == nil { view = TypedViewStorage(view.fields, typed: view.typedView, reader: nil) }
        return publishedView.storeIfNil(view)
    }

    static func == (lhs: TypedViewStorage, rhs: TypedViewStorage) -> Bool {
        lhs === rhs
            || (lhs.fields == rhs.fields && lhs.typedViewChanged == rhs.typedViewChanged
                && lhs.typedView == rhs.typedView)
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(fields)
        hasher.combine(typedViewChanged)
        hasher.combine(typedView)
    }
}
