//! A Rust plugin that panics in a hook when the last message asks it to: `panic in pre`
//! panics in the PreHook, `panic in post` in the PostHook, `panic in chunk` in the chunk hook
//! of a streamed answer. Any other request passes untouched. The host tests prove each panic
//! faults only its own request and the gateway serves the next one.

use bifrost_plugin::{
    export_plugin, Chunk, ChunkAction, ChunkHook, Config, Context, Fault, Host, Outcome, Plugin, PostHook, PreAction, PreHook,
    Request, Value,
};

/// Tells the later hooks of a request where to panic.
const CONTEXT_KEY: &str = "panicker.where";

/// The plugin; it has no state.
pub struct Panicker;

impl Plugin for Panicker {
    const NAME: &'static str = "panicker";
    // It reads the last message's text to decide where to panic.
    const CAPABILITIES: u64 = bifrost_plugin::sys::BIFROST_CAPABILITY_MESSAGE_CONTENT;
    const VERSION: &'static str = "1.0.0";

    fn create(_config: &Config<'_>, _host: &Host) -> Result<Self, String> {
        Ok(Panicker)
    }
}

impl PreHook for Panicker {
    fn pre_hook(&self, request: &Request<'_>, context: &Context<'_>, _outcome: &Outcome<'_>) -> Result<PreAction, Fault> {
        let last = match request.message_count()?.checked_sub(1) {
            Some(last) => last,
            None => return Ok(PreAction::Continue),
        };
        let (_, content) = request.message(last)?;
        match content {
            "panic in pre" => panic!("the client asked for a panic in the PreHook"),
            "panic in post" | "panic in chunk" => context.set(CONTEXT_KEY, Value::String(content))?,
            _ => {}
        }
        Ok(PreAction::Continue)
    }
}

impl PostHook for Panicker {
    fn post_hook(&self, context: &Context<'_>, _outcome: &Outcome<'_>) -> Result<(), Fault> {
        if let Some(Value::String(content @ "panic in post")) = context.get(CONTEXT_KEY)? {
            let empty: Vec<u8> = Vec::new();
            // A runtime panic (index out of bounds), not only an explicit panic!.
            let _ = empty[content.len()];
        }
        Ok(())
    }
}

impl ChunkHook for Panicker {
    fn chunk_hook(&self, _chunk: &Chunk<'_>, context: &Context<'_>, _outcome: &Outcome<'_>) -> Result<ChunkAction, Fault> {
        if let Some(Value::String("panic in chunk")) = context.get(CONTEXT_KEY)? {
            panic!("the client asked for a panic in the chunk hook");
        }
        Ok(ChunkAction::Continue)
    }
}

export_plugin!(Panicker, pre_hook, post_hook, chunk_hook);
