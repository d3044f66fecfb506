//! What `serve` says once it listens: where to go, which database, whether a key is needed and how to
//! make one. People read it as a few plain lines; log collectors get it as one structured event.

use std::net::SocketAddr;

use super::LogFormat;
use super::config::mask_url_password;
use crate::auth::AuthMode;
use crate::db::DEFAULT_DATABASE_URL;

pub struct Banner<'a> {
    /// The address the server listens on.
    pub address: SocketAddr,
    /// As configured: its password is masked here.
    pub database_url: &'a str,
    /// `sqlite` or `postgres`.
    pub backend: &'a str,
    pub auth: AuthMode,
    /// `--allowed-origins`, as given.
    pub allowed_origins: &'a [String],
}

impl Banner<'_> {
    /// The base URL for a browser on this machine: a server listening on every interface is reached
    /// here through `localhost`.
    fn base_url(&self) -> String {
        if self.address.ip().is_unspecified() {
            format!("http://localhost:{}", self.address.port())
        } else {
            format!("http://{}", self.address)
        }
    }

    fn database(&self) -> String {
        format!("{} ({})", mask_url_password(self.database_url), self.backend)
    }

    fn mode(&self) -> &'static str {
        match self.auth {
            AuthMode::Open => {
                "demo: no API key needed, requests without one run as ADMIN; only this machine is answered"
            }
            AuthMode::Keys => "keys: every request needs an API key (header `Authorization: Bearer KEY`)",
        }
    }

    /// The command that makes a key for this server's database.
    fn make_key(&self) -> String {
        let mut command = "customer-insights keys create --role ANALYST --name my-app".to_owned();
        if self.database_url != DEFAULT_DATABASE_URL {
            command.push_str(" --database-url ");
            command.push_str(&shell_word(&mask_url_password(self.database_url)));
        }
        command
    }

    fn browsers(&self) -> String {
        let listed = self.allowed_origins.iter().map(|o| o.trim()).filter(|o| !o.is_empty()).collect::<Vec<_>>();
        let this_machine = self.auth == AuthMode::Open;
        match (listed.is_empty(), this_machine) {
            (true, false) => "pages of other sites may not call the API (see --allowed-origins)".to_owned(),
            (true, true) => "pages on this machine (http://localhost:PORT) may call the API".to_owned(),
            (false, false) => format!("pages of {} may call the API", listed.join(", ")),
            (false, true) => format!("pages on this machine and of {} may call the API", listed.join(", ")),
        }
    }

    pub fn lines(&self) -> Vec<String> {
        let base = self.base_url();
        vec![
            format!("customer-insights {}: serving GraphQL at {base}/graphql", env!("CARGO_PKG_VERSION")),
            format!("  GraphiQL    {base}/"),
            format!("  dashboard   {base}/dashboard"),
            format!("  database    {}", self.database()),
            format!("  mode        {}", self.mode()),
            format!("  make a key  {}", self.make_key()),
            format!("  browsers    {}", self.browsers()),
            "  settings    the same command with --print-config prints them".to_owned(),
        ]
    }

    /// Plain lines on standard error for people; one `info` event for JSON logs. Either only when the
    /// log filter lets `info` through (`--log warn` keeps the start quiet).
    pub fn show(&self, format: LogFormat) {
        match format {
            LogFormat::Text if tracing::enabled!(tracing::Level::INFO) => eprintln!("{}", self.lines().join("\n")),
            LogFormat::Text => {}
            LogFormat::Json => tracing::info!(
                address = %self.address,
                graphql = %format!("{}/graphql", self.base_url()),
                graphiql = %format!("{}/", self.base_url()),
                dashboard = %format!("{}/dashboard", self.base_url()),
                database = %self.database(),
                mode = self.mode(),
                make_key = %self.make_key(),
                browsers = %self.browsers(),
                "serving GraphQL"
            ),
        }
    }
}

/// `word` quoted for a POSIX shell when it holds anything but plain URL characters.
fn shell_word(word: &str) -> String {
    let plain = word.bytes().all(|b| b.is_ascii_alphanumeric() || b"/:@._-+%=,".contains(&b));
    if plain { word.to_owned() } else { format!("'{}'", word.replace('\'', r"'\''")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn banner(auth: AuthMode, database_url: &str, origins: &[String]) -> Vec<String> {
        let address: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        Banner { address, database_url, backend: "postgres", auth, allowed_origins: origins }.lines()
    }

    #[test]
    fn the_banner_says_where_to_go_and_how_to_get_in() {
        let url = "postgres://app:s3cret@db/insights?sslmode=require";
        let lines = banner(AuthMode::Keys, url, &["https://app.example.com".into()]);
        assert!(lines[0].ends_with("serving GraphQL at http://localhost:8080/graphql"), "{}", lines[0]);
        assert_eq!(lines[1], "  GraphiQL    http://localhost:8080/");
        assert_eq!(lines[2], "  dashboard   http://localhost:8080/dashboard");
        assert_eq!(lines[3], "  database    postgres://app:****@db/insights?sslmode=require (postgres)");
        assert!(lines[4].contains("every request needs an API key"), "{}", lines[4]);
        assert_eq!(
            lines[5],
            "  make a key  customer-insights keys create --role ANALYST --name my-app \
             --database-url 'postgres://app:****@db/insights?sslmode=require'"
        );
        assert_eq!(lines[6], "  browsers    pages of https://app.example.com may call the API");
        assert!(lines.iter().all(|line| !line.contains("s3cret")));
        assert!(lines.len() <= 8, "a short banner: {lines:#?}");

        let demo = banner(AuthMode::Open, DEFAULT_DATABASE_URL, &[]);
        assert!(demo[4].starts_with("  mode        demo: no API key needed"), "{}", demo[4]);
        assert_eq!(demo[5], "  make a key  customer-insights keys create --role ANALYST --name my-app");
        assert!(demo[6].contains("pages on this machine"), "{}", demo[6]);
    }
}
