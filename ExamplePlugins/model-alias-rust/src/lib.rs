//! model-alias in Rust: maps short model names to `provider/model` names before dispatch,
//! e.g. `fast` -> `mock/echo`, and tells the client which alias it used in the response
//! header `x-bifrost-model-alias`. The same behaviour, configuration and refusal messages as
//! the C example (`ExamplePlugins/model-alias/model_alias.c`), written with the Rust SDK
//! (`PluginSDK/rust`); it also counts rewrites per alias on the gateway's `/metrics`.
//!
//! Configuration: `{"aliases": {"fast": "mock/echo", "smart": "openai/gpt-4o"}}`

use bifrost_plugin::{
    export_plugin, Config, Context, Fault, Host, Json, LogLevel, Outcome, Plugin, PostHook, PreAction, PreHook, Request, Series,
    Value,
};

/// The C example's limits, so both builds accept and refuse the same configurations.
const MAX_ALIASES: usize = 256;
const MAX_TEXT: usize = 255;
/// Carries the alias from the PreHook to the PostHook of the same request.
const CONTEXT_KEY: &str = "model-alias-rust.from";
const HEADER: &str = "x-bifrost-model-alias";

/// One alias and where it points.
#[derive(Debug, PartialEq)]
struct Alias {
    from: String,
    provider: String,
    model: String,
}

impl Alias {
    /// Whether the request's provider and model name this alias: the model alone when the
    /// client named a bare model, `provider/model` otherwise (an alias may look like one).
    fn matches(&self, provider: &str, model: &str) -> bool {
        let from = self.from.as_bytes();
        if provider.is_empty() {
            return from == model.as_bytes();
        }
        from.len() == provider.len() + 1 + model.len()
            && from.starts_with(provider.as_bytes())
            && from[provider.len()] == b'/'
            && from.ends_with(model.as_bytes())
    }
}

/// The refusal of a missing or malformed `aliases`, as the C example words it.
const NOT_AN_ALIAS_TABLE: &str = r#"aliases: expected an object of alias names to "provider/model" strings"#;

/// Reads `{"aliases": {"name": "provider/model", ...}}`, refusing what the C example refuses
/// with the same messages (each led by the field's path, as the host writes `config_refuse`'s).
fn parse_aliases(config: &Json) -> Result<Vec<Alias>, String> {
    let members = config.as_object().ok_or_else(|| r#"the configuration: expected an object with "aliases""#.to_string())?;
    // As the C example checks: every field's name first, then the alias table.
    if let Some((key, _)) = members.iter().find(|(key, _)| key != "aliases") {
        return Err(format!("{}: unknown field; expected \"aliases\"", key));
    }
    let entries = config.get("aliases").and_then(Json::as_object).ok_or_else(|| NOT_AN_ALIAS_TABLE.to_string())?;
    if entries.len() > MAX_ALIASES {
        return Err(format!("aliases: more than {} aliases", MAX_ALIASES));
    }
    entries.iter().map(|(from, target)| parse_alias(from, target)).collect()
}

/// One `"name": "provider/model"` entry.
fn parse_alias(from: &str, target: &Json) -> Result<Alias, String> {
    if from.is_empty() {
        return Err(r#"aliases[""]: alias names are 1-255 bytes"#.to_string());
    }
    let target = target.as_str().ok_or_else(|| format!("aliases.{}: expected a \"provider/model\" string", from))?;
    if from.len() > MAX_TEXT || target.len() > MAX_TEXT {
        return Err(format!("aliases.{}: string longer than {} bytes", from, MAX_TEXT));
    }
    match target.split_once('/') {
        Some((provider, model)) if !provider.is_empty() && !model.is_empty() => {
            Ok(Alias { from: from.to_string(), provider: provider.to_string(), model: model.to_string() })
        }
        _ => Err(format!("aliases.{}: expected \"provider/model\", got \"{}\"", from, target)),
    }
}

/// The plugin: the alias table (read-only after creation, so the hooks need no locks) and one
/// metric series per alias, resolved at creation so a rewrite records without a lookup.
pub struct ModelAlias {
    aliases: Vec<(Alias, Series)>,
}

impl Plugin for ModelAlias {
    const NAME: &'static str = "model-alias-rust";
    const VERSION: &'static str = "1.0.0";

    fn create(config: &Config<'_>, host: &Host) -> Result<Self, String> {
        let aliases = parse_aliases(&config.json()?)?;
        let rewrites = host
            .counter("bifrost_model_alias_rewrites_total", "Requests whose model an alias rewrote.", &["alias"])
            .map_err(|error| error.to_string())?;
        let aliases = aliases
            .into_iter()
            .map(|alias| {
                let series = rewrites.series(&[&alias.from]).map_err(|error| error.to_string())?;
                Ok((alias, series))
            })
            .collect::<Result<Vec<_>, String>>()?;
        host.log(LogLevel::Info, &format!("{} alias(es) configured", aliases.len()));
        Ok(ModelAlias { aliases })
    }
}

impl PreHook for ModelAlias {
    fn pre_hook(&self, request: &Request<'_>, context: &Context<'_>, _outcome: &Outcome<'_>) -> Result<PreAction, Fault> {
        let (provider, model) = (request.provider()?, request.model()?);
        if let Some((alias, rewrites)) = self.aliases.iter().find(|(alias, _)| alias.matches(provider, model)) {
            context.set(CONTEXT_KEY, Value::String(&alias.from))?;
            request.set_provider(&alias.provider)?;
            request.set_model(&alias.model)?;
            rewrites.record(1.0)?;
        }
        Ok(PreAction::Continue)
    }
}

impl PostHook for ModelAlias {
    fn post_hook(&self, context: &Context<'_>, outcome: &Outcome<'_>) -> Result<(), Fault> {
        if let Some(Value::String(from)) = context.get(CONTEXT_KEY)? {
            if let Some(response) = outcome.response()? {
                response.set_header(HEADER, from)?;
            }
        }
        Ok(())
    }
}

export_plugin!(ModelAlias, pre_hook, post_hook);

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<Alias>, String> {
        parse_aliases(&Json::parse(text).unwrap())
    }

    fn alias(from: &str, provider: &str, model: &str) -> Alias {
        Alias { from: from.into(), provider: provider.into(), model: model.into() }
    }

    #[test]
    fn reads_aliases_in_order() {
        assert_eq!(
            parse(r#"{"aliases": {"fast": "mock/echo", "openai/gpt-4": "mock/echo", "x": "a/b/c"}}"#),
            Ok(vec![alias("fast", "mock", "echo"), alias("openai/gpt-4", "mock", "echo"), alias("x", "a", "b/c")])
        );
        assert_eq!(parse(r#"{"aliases": {}}"#), Ok(vec![]));
    }

    #[test]
    fn refuses_what_the_c_example_refuses_with_its_messages() {
        let cases = [
            (r#"{}"#, NOT_AN_ALIAS_TABLE),
            (r#"{"alias": {}}"#, r#"alias: unknown field; expected "aliases""#),
            (r#"{"aliases": {"fast": "no-slash"}}"#, r#"aliases.fast: expected "provider/model", got "no-slash""#),
            (r#"{"aliases": {"fast": "/echo"}}"#, r#"aliases.fast: expected "provider/model", got "/echo""#),
            (r#"{"aliases": {"fast": "mock/"}}"#, r#"aliases.fast: expected "provider/model", got "mock/""#),
            (r#"{"aliases": {"fast": 1}}"#, r#"aliases.fast: expected a "provider/model" string"#),
            (r#"{"aliases": {"": "mock/echo"}}"#, r#"aliases[""]: alias names are 1-255 bytes"#),
            (r#"{"aliases": []}"#, NOT_AN_ALIAS_TABLE),
            ("[]", r#"the configuration: expected an object with "aliases""#),
        ];
        for (config, message) in cases {
            assert_eq!(parse(config), Err(message.to_string()), "config {}", config);
        }
        // Unknown fields first, as the C example checks them.
        assert_eq!(
            parse(r#"{"aliases": {"fast": "bad"}, "extra": 1}"#),
            Err(r#"extra: unknown field; expected "aliases""#.to_string())
        );
        let long = format!(r#"{{"aliases": {{"fast": "mock/{}"}}}}"#, "e".repeat(MAX_TEXT));
        assert_eq!(parse(&long), Err("aliases.fast: string longer than 255 bytes".to_string()));
        let many: Vec<String> = (0..=MAX_ALIASES).map(|i| format!(r#""a{}": "mock/echo""#, i)).collect();
        assert_eq!(
            parse(&format!(r#"{{"aliases": {{{}}}}}"#, many.join(","))),
            Err("aliases: more than 256 aliases".to_string())
        );
    }

    #[test]
    fn matches_a_bare_model_or_a_provider_and_model() {
        let bare = alias("fast", "mock", "echo");
        assert!(bare.matches("", "fast"));
        assert!(!bare.matches("", "faster"));
        assert!(!bare.matches("mock", "fast"));
        let qualified = alias("openai/gpt-4", "mock", "echo");
        assert!(qualified.matches("openai", "gpt-4"));
        assert!(!qualified.matches("", "openai/gpt-4o"));
        assert!(!qualified.matches("openai", "gpt-4o"));
        assert!(!qualified.matches("open", "ai/gpt-4"));
    }
}
