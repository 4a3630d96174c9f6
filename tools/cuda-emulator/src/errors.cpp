// cuGetErrorName / cuGetErrorString: the driver's own names and descriptions (the list in
// cuda_api.h), so error messages read exactly as they would on a GPU.
#include "code_text.h"
#include "driver_api.h"

namespace {

constexpr CodeText<CUresult> errors[] = {EMU_CU_RESULTS(EMU_CODE_TEXT)};

// As the driver: an unknown code gives CUDA_ERROR_INVALID_VALUE and a null string.
CUresult text_of(CUresult code, const char **text, const char *CodeText<CUresult>::*field) {
    if (!text) return CUDA_ERROR_INVALID_VALUE;
    const CodeText<CUresult> *e = find_code_text(errors, code);
    *text = e ? e->*field : nullptr;
    return e ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

}  // namespace

EMU_API CUresult cuGetErrorName(CUresult code, const char **name) {
    return text_of(code, name, &CodeText<CUresult>::name);
}

EMU_API CUresult cuGetErrorString(CUresult code, const char **description) {
    return text_of(code, description, &CodeText<CUresult>::description);
}
