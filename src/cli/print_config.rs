//! `--print-config`: the effective settings of the command being run, written as the configuration
//! file that gives them (secrets masked as `****`), each with where its value came from. Settings
//! without a value are listed as comments, so the output also shows what else can be set.

use clap::CommandFactory;

use super::Cli;
use super::config::{LoadedCli, NOT_SETTINGS, is_list_arg, mask, value_of};

pub fn settings_file(loaded: &LoadedCli) -> String {
    let command = Cli::command();
    let mut levels = vec![(&command, &loaded.matches)];
    let mut title = "customer-insights".to_owned();
    if let Some((name, matches)) = loaded.matches.subcommand()
        && let Some(sub) = command.find_subcommand(name)
    {
        levels.push((sub, matches));
        title = format!("{title} {name}");
    }
    let mut file = format!(
        "# The effective settings of `{title}`, with secrets masked as ****.\n\
         # Give this file back with --config FILE; flags and environment variables override it.\n"
    );
    for (command, matches) in levels {
        let settings = command
            .get_arguments()
            .filter(|arg| arg.get_long().is_some() && !NOT_SETTINGS.contains(&arg.get_id().as_str()));
        for arg in settings {
            let id = arg.get_id().as_str();
            let name = id.replace('_', "-");
            let Some((values, source)) = value_of(matches, id, &loaded.from_file) else {
                file.push_str(&format!("# {name}: not set\n"));
                continue;
            };
            let mut values: Vec<toml::Value> = values.iter().map(|value| toml_value(&mask(id, value))).collect();
            let value = if is_list_arg(arg) {
                toml::Value::Array(values)
            } else if values.len() == 1 {
                values.remove(0)
            } else {
                continue;
            };
            file.push_str(&format!("{name} = {value}  # {}\n", source.as_str()));
        }
    }
    file
}

/// The value as TOML: a boolean or number when it reads back as the very same text (the loader turns
/// every value into text again), a string otherwise.
fn toml_value(text: &str) -> toml::Value {
    if let Ok(boolean) = text.parse::<bool>() {
        return toml::Value::Boolean(boolean);
    }
    if let Ok(integer) = text.parse::<i64>()
        && integer.to_string() == text
    {
        return toml::Value::Integer(integer);
    }
    if let Ok(float) = text.parse::<f64>()
        && float.is_finite()
        && float.to_string() == text
    {
        return toml::Value::Float(float);
    }
    toml::Value::String(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_keep_their_text() {
        assert_eq!(toml_value("true"), toml::Value::Boolean(true));
        assert_eq!(toml_value("8080"), toml::Value::Integer(8080));
        assert_eq!(toml_value("0.5"), toml::Value::Float(0.5));
        assert_eq!(toml_value("007"), toml::Value::String("007".into()));
        assert_eq!(toml_value("127.0.0.1:8080"), toml::Value::String("127.0.0.1:8080".into()));
        assert_eq!(toml_value("NaN"), toml::Value::String("NaN".into()));
    }
}
