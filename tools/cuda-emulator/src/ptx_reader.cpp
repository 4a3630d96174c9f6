// Reading PTX text: the directives the driver's JIT checks first.
//
//   .version 9.0                     PTX ISA version (the driver must know it)
//   .target sm_90                    the architecture it was written for
//   .visible .entry fill(            a kernel, with its parameter list:
//       .param .u64 fill_param_0,        a scalar: its type gives the size
//       .param .align 4 .b8 fill_param_1[36]   a struct passed by value: element type × count
//   )
//   .maxntid 256, 1, 1               optional, from __launch_bounds__
//   { ... }                          the body, skipped
//
// The text is split into tokens (comments dropped); a token is a run of name characters, or
// one punctuation character.
#include <cctype>
#include <cstdlib>
#include <cstring>

#include "module_image.h"

namespace emu {

namespace {

bool is_name_char(char c) { return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '$' || c == '%'; }

std::vector<std::string_view> tokenize(std::string_view text) {
    std::vector<std::string_view> tokens;
    size_t i = 0;
    while (i < text.size()) {
        char c = text[i];
        if (isspace((unsigned char)c)) {
            ++i;
        } else if (text.compare(i, 2, "//") == 0) {
            size_t end = text.find('\n', i);
            i = end == std::string_view::npos ? text.size() : end;
        } else if (text.compare(i, 2, "/*") == 0) {
            size_t end = text.find("*/", i + 2);
            i = end == std::string_view::npos ? text.size() : end + 2;
        } else if (is_name_char(c)) {
            size_t start = i;
            while (i < text.size() && is_name_char(text[i])) ++i;
            tokens.push_back(text.substr(start, i - start));
        } else {
            tokens.push_back(text.substr(i++, 1));
        }
    }
    return tokens;
}

bool fail_with(std::string *error, std::string message) {
    *error = std::move(message);
    return false;
}

// Bytes of a PTX fundamental type such as .u64, .f32, .b8 (0 if it is none).
size_t type_bytes(std::string_view token) {
    if (token.size() < 3 || token[0] != '.' || !strchr("bsuf", token[1])) return 0;
    std::string bits(token.substr(2));
    if (bits == "8") return 1;
    if (bits == "16") return 2;
    if (bits == "32") return 4;
    if (bits == "64") return 8;
    return 0;
}

// "9" -> 9, anything else -> -1.
long number(std::string_view token) {
    std::string text(token);
    char *end = nullptr;
    long value = strtol(text.c_str(), &end, 10);
    return (!text.empty() && *end == '\0') ? value : -1;
}

class Parser {
  public:
    Parser(std::vector<std::string_view> tokens, std::string *error) : tokens_(std::move(tokens)), error_(error) {}

    bool parse(ModuleImage *module) {
        while (at_ < tokens_.size()) {
            std::string_view t = tokens_[at_++];
            bool ok = true;
            if (t == ".version") ok = version(module);
            else if (t == ".target") ok = target(module);
            else if (t == ".entry") ok = entry(module);
            else if (t == "{") ok = skip_block();
            if (!ok) return false;
        }
        if (module->ptx_version == 0) return fail_with(error_, "no .version directive");
        if (module->arch == 0) return fail_with(error_, "no .target directive");
        return true;
    }

  private:
    std::string_view next() { return at_ < tokens_.size() ? tokens_[at_++] : std::string_view(); }
    std::string_view peek() const { return at_ < tokens_.size() ? tokens_[at_] : std::string_view(); }

    // ".version 9.0" arrives as one token "9.0".
    bool version(ModuleImage *module) {
        std::string_view v = next();
        size_t dot = v.find('.');
        long major = number(v.substr(0, dot)), minor = dot == std::string_view::npos ? -1 : number(v.substr(dot + 1));
        if (major < 0 || minor < 0 || minor > 9) return fail_with(error_, "malformed .version");
        module->ptx_version = (int)(major * 10 + minor);
        return true;
    }

    // ".target sm_90" (maybe sm_90a, and maybe followed by ", debug").
    bool target(ModuleImage *module) {
        std::string_view t = next();
        if (t.substr(0, 3) != "sm_") return fail_with(error_, "malformed .target");
        std::string digits;
        for (char c : t.substr(3))
            if (isdigit((unsigned char)c)) digits += c;
        module->arch = digits.empty() ? 0 : atoi(digits.c_str());
        return module->arch > 0 || fail_with(error_, "malformed .target");
    }

    bool entry(ModuleImage *module) {
        KernelImage kernel;
        kernel.name = std::string(next());
        if (kernel.name.empty()) return fail_with(error_, "an .entry without a name");
        if (peek() == "(") {
            ++at_;
            while (peek() != ")") {
                size_t bytes;
                if (!parameter(kernel.name, &bytes)) return false;
                kernel.param_sizes.push_back(bytes);
                if (peek() == ",") ++at_;
            }
            ++at_;
        }
        // Performance directives between the parameters and the body.
        while (at_ < tokens_.size() && peek() != "{" && peek() != ";") {
            if (next() == ".maxntid") {
                long x = number(next()), y = 1, z = 1;
                if (peek() == ",") ++at_, y = number(next());
                if (peek() == ",") ++at_, z = number(next());
                if (x <= 0 || y <= 0 || z <= 0) return fail_with(error_, kernel.name + ": malformed .maxntid");
                kernel.max_threads = (unsigned)(x * y * z);
            }
        }
        module->kernels.push_back(std::move(kernel));
        return true;
    }

    // ".param [qualifiers] .TYPE name" or ".param [qualifiers] .TYPE name[COUNT]".
    bool parameter(const std::string &kernel, size_t *bytes) {
        if (next() != ".param") return fail_with(error_, kernel + ": expected .param in the parameter list");
        size_t element = 0, count = 1;
        while (at_ < tokens_.size()) {
            std::string_view t = peek();
            if (t == "," || t == ")") break;
            ++at_;
            if (t == ".align" || t == ".ptr") {
                if (t == ".align") next();  // its number
            } else if (size_t b = type_bytes(t)) {
                element = b;
            } else if (t == "[") {
                long n = number(next());
                if (n <= 0 || next() != "]") return fail_with(error_, kernel + ": malformed parameter array");
                count = (size_t)n;
            }
        }
        if (element == 0) return fail_with(error_, kernel + ": a parameter without a known type");
        *bytes = element * count;
        return true;
    }

    bool skip_block() {
        for (int depth = 1; depth > 0;) {
            if (at_ >= tokens_.size()) return fail_with(error_, "unbalanced braces");
            std::string_view t = tokens_[at_++];
            if (t == "{") ++depth;
            if (t == "}") --depth;
        }
        return true;
    }

    std::vector<std::string_view> tokens_;
    size_t at_ = 0;
    std::string *error_;
};

}  // namespace

bool read_ptx(std::string_view text, ModuleImage *module, std::string *error) {
    module->is_cubin = false;
    return Parser(tokenize(text), error).parse(module);
}

}  // namespace emu
