//! tree-sitter's allocator: mimalloc. Parsing allocates and frees millions of small nodes, and glibc's
//! `malloc`/`free` under tree-sitter were ~9% of a SAST scan's cpu (`perf`, the 2.2 M-line corpus).
//! Rust's own allocations stay on the system allocator: with mimalloc as the global allocator, its first
//! arena is made before `main` can set any option, committed up front (its default where the OS
//! overcommits) and backed by huge pages, and an empty scan took 47 MB instead of 21 MB. tree-sitter's
//! first allocation comes after [`init`], which makes mimalloc commit its arenas lazily.

/// mimalloc's `mi_option_arena_eager_commit` (v2's `mimalloc.h`; the -sys crate names no constant for it).
const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;

/// Sets mimalloc up (arenas committed lazily) and points tree-sitter's C allocations at it. Call it first
/// thing in `main`, before anything parses; later calls do nothing. A library user who never calls it keeps
/// libc's `malloc` for tree-sitter, which is also correct.
pub fn init() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: sets a plain integer option.
        unsafe { libmimalloc_sys::mi_option_set(ARENA_EAGER_COMMIT, 0) };
        // SAFETY: the four functions are one allocator family (mimalloc), never return null for a
        // non-zero size (they abort on out-of-memory, as tree-sitter's default allocator does), return
        // pointers aligned as `malloc`'s are, and `Once` makes this the only call, made before any
        // tree-sitter object exists as long as callers follow the doc above.
        unsafe {
            tree_sitter::set_allocator(Some(tree_sitter::Allocator {
                malloc: ts_malloc,
                calloc: ts_calloc,
                realloc: ts_realloc,
                free: ts_free,
            }));
        }
    });
}

use std::ffi::c_void;

fn non_null(p: *mut c_void, size: usize) -> *mut c_void {
    if p.is_null() && size != 0 {
        std::alloc::handle_alloc_error(
            std::alloc::Layout::from_size_align(size, 16)
                .unwrap_or(std::alloc::Layout::new::<u8>()),
        );
    }
    p
}

unsafe extern "C" fn ts_malloc(size: usize) -> *mut c_void {
    // SAFETY: plain mimalloc call.
    non_null(unsafe { libmimalloc_sys::mi_malloc(size) }, size)
}

unsafe extern "C" fn ts_calloc(count: usize, size: usize) -> *mut c_void {
    // SAFETY: plain mimalloc call (it checks `count * size` for overflow).
    non_null(
        unsafe { libmimalloc_sys::mi_calloc(count, size) },
        count.saturating_mul(size),
    )
}

unsafe extern "C" fn ts_realloc(p: *mut c_void, size: usize) -> *mut c_void {
    // SAFETY: `p` came from one of these functions (tree-sitter's contract).
    non_null(unsafe { libmimalloc_sys::mi_realloc(p, size) }, size)
}

unsafe extern "C" fn ts_free(p: *mut c_void) {
    // SAFETY: `p` came from one of these functions (tree-sitter's contract).
    unsafe { libmimalloc_sys::mi_free(p) }
}
