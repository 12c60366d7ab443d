//! One declaration per daemon for its configuration and its flags: [`daemon_config!`] takes each value once,
//! with its documentation, its default, and its flag when it has one, and makes the serde struct (with its
//! `Default`), the clap flags struct (each flag an `Option` or a `Vec`, serialized only when given, as the top
//! layer), the environment prefix and `load`. A value cannot be added to one and forgotten in the other.

/// Whether a flag was left unset (so its layer does not override the ones below).
pub(crate) trait Unset {
    /// The flag was not given.
    fn unset(&self) -> bool;
}

impl<T> Unset for Option<T> {
    fn unset(&self) -> bool {
        self.is_none()
    }
}

impl<T> Unset for Vec<T> {
    fn unset(&self) -> bool {
        self.is_empty()
    }
}

/// serde's `skip_serializing_if` for flags.
pub(crate) fn unset<T: Unset>(flag: &T) -> bool {
    flag.unset()
}

/// Declares a daemon's configuration and its command line. The flags struct parses the binary's command line:
/// `pub struct RelayArgs for "zr-relay";` names the binary, and its doc comment is the description `--help`
/// prints (a binary with flags of its own flattens the struct into its parser, whose name and description
/// win). Then its data directory, which every daemon has: `data_dir = "default/path" { "help", extra clap arg
/// attributes };` with its doc comment (the default, the config key and the `--data-dir DIR` flag are added
/// once, here). Then each value is `name: Type = default`
/// with its doc comment, then optionally `=> flag(FlagType) { "help" clap arg attributes }` (`FlagType` is
/// `Option<T>`, or `Vec<T>` for a repeatable flag; the help names the config key and its default) or
/// `=> flatten(SectionArgs)` (a section's flags).
macro_rules! daemon_config {
    (
        $(#[doc = $doc:literal])*
        pub struct $config:ident;
        $(#[doc = $args_doc:literal])*
        pub struct $args:ident for $command:literal;
        env = $env:literal;
        $(#[doc = $dir_doc:literal])*
        data_dir = $dir:literal { $dir_help:literal $($dir_flag:tt)* };
        $(
            $(#[doc = $field_doc:literal])*
            $name:ident: $ty:ty = $default:expr
            $(=> flag($flag_ty:ty) { $help:literal $($flag:tt)* })?
            $(=> flatten($section_args:ty))?
            ;
        )*
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
        #[serde(deny_unknown_fields, default)]
        pub struct $config {
            $(#[doc = $dir_doc])*
            #[doc = concat!(" Default `./", $dir, "`.")]
            pub data_dir: std::path::PathBuf,
            $(
                $(#[doc = $field_doc])*
                pub $name: $ty,
            )*
        }

        impl Default for $config {
            fn default() -> Self {
                $config { data_dir: std::path::PathBuf::from($dir), $($name: $default,)* }
            }
        }

        impl $crate::Layered for $config {
            const ENV_PREFIX: &'static str = $env;
        }

        impl $config {
            /// Loads the configuration from its layers: the defaults, the `--config` file, the environment, the
            /// flags given.
            pub fn load(args: &$args) -> Result<Self, $crate::ConfigError> {
                $crate::load(args.config.as_deref(), args)
            }
        }

        $(#[doc = $args_doc])*
        #[derive(Debug, Clone, Default, clap::Parser, serde::Serialize)]
        #[command(name = $command, version)]
        pub struct $args {
            /// Configuration file (TOML)
            #[arg(long, short = 'c', value_name = "FILE", global = true)]
            #[serde(skip)]
            pub config: Option<std::path::PathBuf>,
            #[doc = concat!("`--data-dir`: [`", stringify!($config), "::data_dir`].")]
            #[arg(long, value_name = "DIR", help = concat!($dir_help, " [config: data_dir, default ", $dir, "]") $($dir_flag)*)]
            #[serde(skip_serializing_if = "crate::declare::unset")]
            pub data_dir: Option<std::path::PathBuf>,
            $(
                $(
                    #[doc = $help]
                    #[arg($($flag)*)]
                    #[serde(skip_serializing_if = "crate::declare::unset")]
                    pub $name: $flag_ty,
                )?
                $(
                    #[doc = concat!("Flags of the `", stringify!($name), "` section.")]
                    #[command(flatten)]
                    pub $name: $section_args,
                )?
            )*
        }
    };
}

pub(crate) use daemon_config;

/// Declares the flags of a config section: each flag is `name: FlagType => "flag-name", "VALUE";` with its help
/// as doc comment (`FlagType` an `Option<T>`, or a `Vec<T>` for a repeatable flag), serialized only when given,
/// as the top layer.
macro_rules! section_flags {
    (
        $(#[doc = $doc:literal])*
        pub struct $args:ident {
            $(
                $(#[doc = $help:literal])*
                $name:ident: $ty:ty => $flag:literal, $value:literal;
            )*
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Default, clap::Args, serde::Serialize)]
        pub struct $args {
            $(
                $(#[doc = $help])*
                #[arg(id = $flag, long = $flag, value_name = $value)]
                #[serde(skip_serializing_if = "crate::declare::unset")]
                pub $name: $ty,
            )*
        }
    };
}

pub(crate) use section_flags;
