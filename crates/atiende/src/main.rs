#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    atiende::cli::main()
}
