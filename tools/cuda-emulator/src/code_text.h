// A library's result codes with the names and descriptions it gives them (cuGetErrorName /
// cuGetErrorString in libcuda, cublasGetStatusName / cublasGetStatusString in libcublas), made
// from the code lists of cuda_api.h and cublas_api.h:
//
//   constexpr CodeText<CUresult> errors[] = {EMU_CU_RESULTS(EMU_CODE_TEXT)};
#pragma once

#include <cstddef>

template <class Code>
struct CodeText {
    Code code;
    const char *name;  // the enumerator's own name, e.g. "CUDA_ERROR_INVALID_VALUE"
    const char *description;
};

// One list entry X(NAME, number, "description") as {NAME, "NAME", "description"},
#define EMU_CODE_TEXT(name, number, description) {name, #name, description},

// `code`'s entry in `texts`, or null for a code not in the list.
template <class Code, size_t N>
const CodeText<Code> *find_code_text(const CodeText<Code> (&texts)[N], Code code) {
    for (const CodeText<Code> &text : texts)
        if (text.code == code) return &text;
    return nullptr;
}
