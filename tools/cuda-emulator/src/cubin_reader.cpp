// Reading a cubin: a 64-bit little-endian ELF file for e_machine 190 (EM_CUDA).
//
// What the driver needs is spread over a few sections:
//   e_flags                 the SM architecture: bits 8-15 (ELF ABI version 8 and later,
//                           e.g. 0x6005a04 -> 0x5a = 90), bits 0-7 in older cubins.
//   .symtab                 which functions are kernels: STT_FUNC symbols with STO_CUDA_ENTRY.
//   .nv.info.<kernel>       one per kernel: attribute records, among them one KPARAM_INFO
//                           record per parameter (its ordinal and size) and MAX_THREADS
//                           (__launch_bounds__).
//   .nv.info                attributes of the whole file, among them REGCOUNT: registers per
//                           thread for each function, by its index in .symtab.
//   .nv.shared.<kernel>     the kernel's static __shared__ memory: its size, less the 1 KiB
//                           that sm_90 reserves per block for the system when the cubin has a
//                           .nv.shared.reserved.0 section (NVRTC 13 places it first).
//
// An attribute record is: u8 format, u8 attribute, then by format
//   4 (EIFMT_SVAL): u16 size, then `size` bytes of payload
//   1, 2, 3 (EIFMT_NVAL / BVAL / HVAL): a 2-byte value (unused, u8 + padding, u16)
// so records stay 4-byte aligned. (Checked against NVRTC 13.0.88 output.)
#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include "module_image.h"

namespace emu {

namespace {

constexpr unsigned elf_machine_cuda = 190;
constexpr uint32_t section_symbol_table = 2;  // SHT_SYMTAB
constexpr uint32_t section_no_bits = 8;       // SHT_NOBITS: occupies no bytes in the file
constexpr uint8_t symbol_function = 2;        // STT_FUNC
constexpr uint8_t symbol_cuda_entry = 0x10;   // STO_CUDA_ENTRY: a kernel, not a device function
constexpr size_t elf_header_bytes = 64;
constexpr size_t section_header_bytes = 64;
constexpr size_t symbol_bytes = 24;
constexpr size_t largest_image = size_t(1) << 30;  // a sanity bound on declared sizes
constexpr uint64_t reserved_shared_bytes = 1024;   // CU_DEVICE_ATTRIBUTE_RESERVED_SHARED_MEMORY_PER_BLOCK

constexpr uint8_t attribute_kparam_info = 0x17;   // EIATTR_KPARAM_INFO
constexpr uint8_t attribute_max_threads = 0x05;   // EIATTR_MAX_THREADS
constexpr uint8_t attribute_register_count = 0x2f;  // EIATTR_REGCOUNT
constexpr uint8_t format_sized_value = 4;         // EIFMT_SVAL

// A bounds-checked view of bytes.
struct Bytes {
    const unsigned char *data;
    size_t size;

    bool has(size_t offset, size_t length) const { return offset <= size && length <= size - offset; }

    template <class T>
    bool load(size_t offset, T *value) const {
        if (!has(offset, sizeof(T))) return false;
        memcpy(value, data + offset, sizeof(T));  // little-endian host, as the ELF file
        return true;
    }

    // For fields whose bounds were checked already: the value, or 0 if out of bounds after all.
    template <class T>
    T get(size_t offset) const {
        T value{};
        load(offset, &value);
        return value;
    }

    Bytes slice(size_t offset, size_t length) const { return {data + offset, length}; }
};

struct Section {
    std::string name;
    uint32_t type = 0;
    uint64_t offset = 0, size = 0;
    uint32_t link = 0;
    Bytes contents{nullptr, 0};  // empty for NOBITS
};

bool fail_with(std::string *error, std::string message) {
    *error = std::move(message);
    return false;
}

// A NUL-terminated string at `offset` inside a string table.
bool string_at(Bytes table, uint64_t offset, std::string *out) {
    if (offset >= table.size) return false;
    const void *end = memchr(table.data + offset, '\0', table.size - offset);
    if (!end) return false;
    *out = std::string((const char *)table.data + offset, (const char *)end);
    return true;
}

bool read_sections(Bytes image, std::vector<Section> *sections, std::string *error) {
    auto table_offset = image.get<uint64_t>(40);
    auto entry_size = image.get<uint16_t>(58), count = image.get<uint16_t>(60), names_index = image.get<uint16_t>(62);
    if (entry_size != section_header_bytes) return fail_with(error, "unexpected ELF section header size");
    if (!image.has(table_offset, (size_t)count * section_header_bytes))
        return fail_with(error, "the section header table lies outside the image (truncated?)");
    if (names_index >= count) return fail_with(error, "no section name table");
    sections->resize(count);
    for (size_t i = 0; i < count; ++i) {
        Section &s = (*sections)[i];
        size_t at = table_offset + i * section_header_bytes;
        s.type = image.get<uint32_t>(at + 4);
        s.offset = image.get<uint64_t>(at + 24);
        s.size = image.get<uint64_t>(at + 32);
        s.link = image.get<uint32_t>(at + 40);
        if (s.type == section_no_bits) continue;
        if (!image.has(s.offset, s.size))
            return fail_with(error, "section " + std::to_string(i) + " lies outside the image (truncated?)");
        s.contents = image.slice(s.offset, s.size);
    }
    Bytes names = (*sections)[names_index].contents;
    for (size_t i = 0; i < count; ++i) {
        auto name_offset = image.get<uint32_t>(table_offset + i * section_header_bytes);
        if (!string_at(names, name_offset, &(*sections)[i].name))
            return fail_with(error, "section " + std::to_string(i) + " has no valid name");
    }
    return true;
}

// Calls visit(attribute, payload) for each record of an .nv.info section.
template <class Visit>
bool for_each_record(Bytes info, const std::string &section, std::string *error, Visit visit) {
    size_t at = 0;
    while (at < info.size) {
        uint8_t format, attribute;
        uint16_t value;
        if (!info.load(at, &format) || !info.load(at + 1, &attribute) || !info.load(at + 2, &value))
            return fail_with(error, section + ": truncated attribute record");
        at += 4;
        if (format < 1 || format > 4) return fail_with(error, section + ": unknown attribute format " + std::to_string(format));
        if (format != format_sized_value) continue;  // value already read
        if (!info.has(at, value)) return fail_with(error, section + ": attribute payload runs past the section");
        if (!visit(attribute, info.slice(at, value))) return fail_with(error, section + ": malformed attribute");
        at += value;
    }
    return true;
}

// KPARAM_INFO payload: u32 index, u16 ordinal, u16 offset, u32 flags; the size is flags bits 18-31.
bool read_kernel_info(const Section &info, KernelImage *kernel, std::string *error) {
    std::map<unsigned, size_t> by_ordinal;
    bool ok = for_each_record(info.contents, info.name, error, [&](uint8_t attribute, Bytes payload) {
        if (attribute == attribute_kparam_info) {
            uint16_t ordinal;
            uint32_t flags;
            if (payload.size != 12 || !payload.load(4, &ordinal) || !payload.load(8, &flags)) return false;
            return by_ordinal.emplace(ordinal, (flags >> 18) & 0x3fff).second;  // each ordinal once
        }
        if (attribute == attribute_max_threads) {
            uint32_t x, y, z;
            if (!payload.load(0, &x) || !payload.load(4, &y) || !payload.load(8, &z)) return false;
            kernel->max_threads = x * y * z;
        }
        return true;
    });
    if (!ok) return false;
    for (auto &[ordinal, size] : by_ordinal) {
        if (ordinal != kernel->param_sizes.size())
            return fail_with(error, info.name + ": parameter ordinals are not 0, 1, 2, ...");
        kernel->param_sizes.push_back(size);
    }
    return true;
}

struct Symbol {
    std::string name;
    bool is_kernel;  // a function marked as an entry point (STO_CUDA_ENTRY in st_other)
};

// The .symtab entries: st_name u32, st_info u8 (type in the low 4 bits), st_other u8, ...
bool read_symbols(const std::vector<Section> &sections, std::vector<Symbol> *symbols, std::string *error) {
    for (const Section &table : sections) {
        if (table.type != section_symbol_table) continue;
        if (table.link >= sections.size()) return fail_with(error, "the symbol table has no string table");
        Bytes names = sections[table.link].contents;
        for (size_t at = 0; at + symbol_bytes <= table.contents.size; at += symbol_bytes) {
            Symbol symbol;
            if (!string_at(names, table.contents.get<uint32_t>(at), &symbol.name))
                return fail_with(error, "a symbol without a valid name");
            symbol.is_kernel = (table.contents.get<uint8_t>(at + 4) & 0xf) == symbol_function &&
                               (table.contents.get<uint8_t>(at + 5) & symbol_cuda_entry) != 0;
            symbols->push_back(std::move(symbol));
        }
    }
    return true;
}

// REGCOUNT payload: u32 symbol index (into .symtab), u32 registers per thread.
bool read_register_counts(const std::vector<Section> &sections, const std::vector<Symbol> &symbols,
                          std::map<std::string, unsigned> *registers, std::string *error) {
    for (const Section &info : sections) {
        if (info.name != ".nv.info") continue;
        bool ok = for_each_record(info.contents, info.name, error, [&](uint8_t attribute, Bytes payload) {
            if (attribute != attribute_register_count) return true;
            uint32_t symbol, count;
            if (!payload.load(0, &symbol) || !payload.load(4, &count) || symbol >= symbols.size()) return false;
            (*registers)[symbols[symbol].name] = count;
            return true;
        });
        if (!ok) return false;
    }
    return true;
}

}  // namespace

// Byte by byte: `data` may be a short PTX string, which must not be read past its NUL.
bool looks_like_elf(const unsigned char *data) {
    return data[0] == 0x7f && data[1] == 'E' && data[2] == 'L' && data[3] == 'F';
}

size_t elf_declared_size(const unsigned char *data) {
    // The header is trusted to be there (the caller saw its magic); everything after it is
    // bounded by what the header declares, and by a sanity limit.
    Bytes header{data, elf_header_bytes};
    auto program_offset = header.get<uint64_t>(32), section_offset = header.get<uint64_t>(40);
    auto program_entry = header.get<uint16_t>(54), program_count = header.get<uint16_t>(56);
    auto section_entry = header.get<uint16_t>(58), section_count = header.get<uint16_t>(60);
    if (section_entry != section_header_bytes || section_offset > largest_image || program_offset > largest_image)
        return 0;
    uint64_t end = elf_header_bytes;
    end = std::max<uint64_t>(end, section_offset + (uint64_t)section_count * section_entry);
    end = std::max<uint64_t>(end, program_offset + (uint64_t)program_count * program_entry);
    Bytes table{data + section_offset, (size_t)section_count * section_entry};
    for (size_t i = 0; i < section_count; ++i) {
        auto type = table.get<uint32_t>(i * section_entry + 4);
        auto offset = table.get<uint64_t>(i * section_entry + 24), size = table.get<uint64_t>(i * section_entry + 32);
        if (type == section_no_bits) continue;
        if (offset > largest_image || size > largest_image) return 0;
        end = std::max<uint64_t>(end, offset + size);
    }
    return end > largest_image ? 0 : (size_t)end;
}

bool read_cubin(const unsigned char *data, size_t size, ModuleImage *module, std::string *error) {
    Bytes image{data, size};
    if (!image.has(0, elf_header_bytes) || !looks_like_elf(data)) return fail_with(error, "not an ELF file (truncated?)");
    auto elf_class = image.get<uint8_t>(4), encoding = image.get<uint8_t>(5), abi_version = image.get<uint8_t>(8);
    auto machine = image.get<uint16_t>(18);
    auto flags = image.get<uint32_t>(48);
    if (elf_class != 2 || encoding != 1) return fail_with(error, "not a 64-bit little-endian ELF file");
    if (machine != elf_machine_cuda) return fail_with(error, "ELF machine " + std::to_string(machine) + " is not CUDA (190)");
    module->is_cubin = true;
    module->arch = abi_version >= 8 ? (flags >> 8) & 0xff : flags & 0xff;

    auto program_offset = image.get<uint64_t>(32);
    auto program_entry = image.get<uint16_t>(54), program_count = image.get<uint16_t>(56);
    if (!image.has(program_offset, (size_t)program_entry * program_count))
        return fail_with(error, "the program header table lies outside the image (truncated?)");
    std::vector<Section> sections;
    if (!read_sections(image, &sections, error)) return false;
    std::vector<Symbol> symbols;
    std::map<std::string, unsigned> registers, shared;
    if (!read_symbols(sections, &symbols, error) || !read_register_counts(sections, symbols, &registers, error))
        return false;
    std::set<std::string> kernels;
    for (const Symbol &symbol : symbols)
        if (symbol.is_kernel) kernels.insert(symbol.name);
    const std::string info_prefix = ".nv.info.", shared_prefix = ".nv.shared.", reserved = ".nv.shared.reserved.0";
    bool has_reserved = false;
    for (const Section &s : sections) has_reserved |= s.name == reserved;
    for (const Section &s : sections)
        if (s.name.compare(0, shared_prefix.size(), shared_prefix) == 0 && s.name != reserved) {
            uint64_t size = s.size;
            if (has_reserved) size = size >= reserved_shared_bytes ? size - reserved_shared_bytes : 0;
            shared[s.name.substr(shared_prefix.size())] = (unsigned)std::min<uint64_t>(size, UINT32_MAX);
        }
    for (const Section &s : sections) {
        if (s.name.compare(0, info_prefix.size(), info_prefix) != 0) continue;
        KernelImage kernel;
        kernel.name = s.name.substr(info_prefix.size());
        if (!kernels.count(kernel.name)) continue;  // a device function's attributes (-rdc=true)
        if (!read_kernel_info(s, &kernel, error)) return false;
        kernel.registers = registers.count(kernel.name) ? registers[kernel.name] : 0;
        kernel.static_shared_bytes = shared.count(kernel.name) ? shared[kernel.name] : 0;
        module->kernels.push_back(std::move(kernel));
    }
    return true;
}

}  // namespace emu
