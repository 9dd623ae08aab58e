fn main() {
    tollgate::alloc::init();
    std::process::exit(tollgate::cli::main());
}
