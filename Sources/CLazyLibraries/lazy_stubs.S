// The functions of lazy_symbols.h, each a few instructions: jump to the
// address resolved for it, or (the first time) have lazy_libraries.c load
// its library and resolve every function of it, then jump there. Arguments
// in registers are kept across the resolution; those on the stack are
// never touched (the stub jumps, it does not call). x86-64 System V only.
#if defined(__x86_64__) && defined(__linux__)
#include "lazy_symbols.h"

        .text
        .macro LAZY_STUB name, index
        .globl \name
        .type \name, @function
\name:
        movq cbuild_lazy_slots+8*\index(%rip), %r11
        testq %r11, %r11
        jz 1f
        jmpq *%r11
1:      movl $\index, %r11d
        jmp cbuild_lazy_resolve_common
        .size \name, .-\name
        .endm

#define LAZY_STUB_OF(library, name) LAZY_STUB name, __COUNTER__ ;
LAZY_SYMBOLS(LAZY_STUB_OF)

// r11: the index. Saves the argument registers (rax: the vector-register
// count of a variadic call), asks for the address, restores, jumps.
        .globl cbuild_lazy_resolve_common
        .hidden cbuild_lazy_resolve_common
        .type cbuild_lazy_resolve_common, @function
cbuild_lazy_resolve_common:
        pushq %rbp
        movq %rsp, %rbp
        subq $192, %rsp
        andq $-16, %rsp
        movq %rdi, 0(%rsp)
        movq %rsi, 8(%rsp)
        movq %rdx, 16(%rsp)
        movq %rcx, 24(%rsp)
        movq %r8, 32(%rsp)
        movq %r9, 40(%rsp)
        movq %rax, 48(%rsp)
        movdqu %xmm0, 64(%rsp)
        movdqu %xmm1, 80(%rsp)
        movdqu %xmm2, 96(%rsp)
        movdqu %xmm3, 112(%rsp)
        movdqu %xmm4, 128(%rsp)
        movdqu %xmm5, 144(%rsp)
        movdqu %xmm6, 160(%rsp)
        movdqu %xmm7, 176(%rsp)
        movl %r11d, %edi
        call cbuild_lazy_resolve
        movq %rax, %r11
        movq 0(%rsp), %rdi
        movq 8(%rsp), %rsi
        movq 16(%rsp), %rdx
        movq 24(%rsp), %rcx
        movq 32(%rsp), %r8
        movq 40(%rsp), %r9
        movq 48(%rsp), %rax
        movdqu 64(%rsp), %xmm0
        movdqu 80(%rsp), %xmm1
        movdqu 96(%rsp), %xmm2
        movdqu 112(%rsp), %xmm3
        movdqu 128(%rsp), %xmm4
        movdqu 144(%rsp), %xmm5
        movdqu 160(%rsp), %xmm6
        movdqu 176(%rsp), %xmm7
        movq %rbp, %rsp
        popq %rbp
        jmpq *%r11
        .size cbuild_lazy_resolve_common, .-cbuild_lazy_resolve_common
#endif
        .section .note.GNU-stack,"",@progbits
