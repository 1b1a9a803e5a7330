// Parsing of record bodies, following the layout and cross-checks of PostgreSQL's
// DecodeXLogRecord: fragment headers first (block references, then origin / top-level xid, then
// the main data header last), then the payloads in the same order, then the main data.
#include "safekeeper/pgwal/wal_record.h"

#include <string>

namespace sk::pgwal {
namespace {

// A bounds-checked cursor over the body. Every read says whether the bytes were there, so that a
// short body is reported instead of read past.
class BodyReader {
 public:
  explicit BodyReader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  std::size_t remaining() const { return bytes_.size() - offset_; }

  bool read_u8(std::uint8_t& value) {
    if (remaining() < 1) {
      return false;
    }
    value = bytes_[offset_++];
    return true;
  }
  bool read_u16(std::uint16_t& value) {
    if (remaining() < 2) {
      return false;
    }
    value = load_u16(bytes_.data() + offset_);
    offset_ += 2;
    return true;
  }
  bool read_u32(std::uint32_t& value) {
    if (remaining() < 4) {
      return false;
    }
    value = load_u32(bytes_.data() + offset_);
    offset_ += 4;
    return true;
  }
  // Precondition: count <= remaining(), which the caller established by summing lengths.
  std::span<const std::uint8_t> take(std::size_t count) {
    SK_CHECK(count <= remaining());
    std::span<const std::uint8_t> taken = bytes_.subspan(offset_, count);
    offset_ += count;
    return taken;
  }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t offset_ = 0;
};

Error body_error(const WalRecord& record, const std::string& what) {
  return Error(ErrorCode::kCorruption, "record at " + record.start_lsn.to_string() + ": " + what);
}

// Reads the image header that follows a block header with kBlockHasImage and applies
// PostgreSQL's consistency checks between its length, hole and compression flags.
Result<BlockImage> read_image_header(const WalRecord& record, BodyReader& reader,
                                     std::uint16_t& length_bytes) {
  BlockImage image;
  if (!reader.read_u16(length_bytes) || !reader.read_u16(image.hole_offset_bytes) ||
      !reader.read_u8(image.info)) {
    return body_error(record, "body ends inside a block image header");
  }
  bool has_hole = (image.info & kImageHasHole) != 0;
  if (length_bytes > kDataBlockSizeBytes) {
    return body_error(
        record, "block image length " + std::to_string(length_bytes) + " exceeds the page size");
  }
  if (image.is_compressed()) {
    if (has_hole && !reader.read_u16(image.hole_length_bytes)) {
      return body_error(record, "body ends inside a compressed image's hole length");
    }
    if (length_bytes == kDataBlockSizeBytes) {
      return body_error(record, "compressed block image is as long as a page");
    }
  } else {
    image.hole_length_bytes = static_cast<std::uint16_t>(kDataBlockSizeBytes - length_bytes);
  }
  if (has_hole && (image.hole_offset_bytes == 0 || image.hole_length_bytes == 0 ||
                   length_bytes == kDataBlockSizeBytes)) {
    return body_error(record, "block image flagged with a hole at offset " +
                                  std::to_string(image.hole_offset_bytes) + " of length " +
                                  std::to_string(image.hole_length_bytes));
  }
  if (!has_hole && (image.hole_offset_bytes != 0 || image.hole_length_bytes != 0)) {
    return body_error(record, "block image without a hole flag has a hole at offset " +
                                  std::to_string(image.hole_offset_bytes) + " of length " +
                                  std::to_string(image.hole_length_bytes));
  }
  return image;
}

}  // namespace

Result<RecordBody> parse_record_body(const WalRecord& record) {
  BodyReader reader(record.body());
  RecordBody body;
  // Payload lengths declared by the headers, per block: the image, then the data.
  struct PayloadLengths {
    std::uint16_t image_bytes = 0;
    std::uint16_t data_bytes = 0;
  };
  std::vector<PayloadLengths> block_payloads;
  std::uint64_t payload_bytes = 0;  // All payloads, main data included.
  std::uint32_t main_data_bytes = 0;
  std::optional<RelFileNode> previous_rel;

  while (reader.remaining() > payload_bytes) {
    std::uint8_t id = 0;
    reader.read_u8(id);
    if (id == kBlockIdDataShort) {
      std::uint8_t length = 0;
      if (!reader.read_u8(length)) {
        return body_error(record, "body ends inside the main data header");
      }
      main_data_bytes = length;
      payload_bytes += length;
      break;  // The main data header is always the last header.
    }
    if (id == kBlockIdDataLong) {
      if (!reader.read_u32(main_data_bytes)) {
        return body_error(record, "body ends inside the main data header");
      }
      payload_bytes += main_data_bytes;
      break;
    }
    if (id == kBlockIdOrigin) {
      std::uint16_t origin = 0;
      if (!reader.read_u16(origin)) {
        return body_error(record, "body ends inside the origin header");
      }
      body.origin = origin;
      continue;
    }
    if (id == kBlockIdToplevelXid) {
      std::uint32_t xid = 0;
      if (!reader.read_u32(xid)) {
        return body_error(record, "body ends inside the top-level xid header");
      }
      body.toplevel_xid = xid;
      continue;
    }
    if (id > kMaxBlockId) {
      return body_error(record, "invalid block id " + std::to_string(id));
    }
    if (!body.blocks.empty() && id <= body.blocks.back().id) {
      return body_error(record, "out-of-order block id " + std::to_string(id));
    }

    BlockReference block;
    block.id = id;
    std::uint16_t data_length = 0;
    if (!reader.read_u8(block.fork_flags) || !reader.read_u16(data_length)) {
      return body_error(record, "body ends inside block header " + std::to_string(id));
    }
    bool has_data = (block.fork_flags & kBlockHasData) != 0;
    if (has_data != (data_length != 0)) {
      return body_error(record, "block " + std::to_string(id) + " has data length " +
                                    std::to_string(data_length) + " but the data flag is " +
                                    (has_data ? "set" : "clear"));
    }
    payload_bytes += data_length;

    std::uint16_t image_length = 0;
    if ((block.fork_flags & kBlockHasImage) != 0) {
      Result<BlockImage> image = read_image_header(record, reader, image_length);
      if (!image) {
        return image.error();
      }
      block.image = *image;
      payload_bytes += image_length;
    }
    if ((block.fork_flags & kBlockSameRel) != 0) {
      if (!previous_rel) {
        return body_error(record, "block " + std::to_string(id) +
                                      " refers to the previous relation but is the first");
      }
      block.rel = *previous_rel;
    } else {
      if (reader.remaining() < kRelFileNodeSizeBytes) {
        return body_error(record, "body ends inside block " + std::to_string(id) + "'s relation");
      }
      reader.read_u32(block.rel.tablespace_oid);
      reader.read_u32(block.rel.database_oid);
      reader.read_u32(block.rel.relation_oid);
    }
    if (!reader.read_u32(block.block_number)) {
      return body_error(record, "body ends inside block " + std::to_string(id) + "'s number");
    }
    previous_rel = block.rel;
    block_payloads.push_back({image_length, data_length});
    body.blocks.push_back(block);
  }
  if (reader.remaining() != payload_bytes) {
    return body_error(record, "fragment headers declare " + std::to_string(payload_bytes) +
                                  " payload bytes but " + std::to_string(reader.remaining()) +
                                  " follow them");
  }

  for (std::size_t i = 0; i < body.blocks.size(); ++i) {
    BlockReference& block = body.blocks[i];
    if (block.image) {
      block.image->bytes = reader.take(block_payloads[i].image_bytes);
    }
    block.data = reader.take(block_payloads[i].data_bytes);
  }
  body.main_data = reader.take(main_data_bytes);
  return body;
}

std::optional<std::int64_t> xact_time_of(const WalRecord& record) {
  if (record.rmid() != kRmgrXact) {
    return std::nullopt;
  }
  std::uint8_t op = record.header.info & kXactOpMask;
  if (op != kXactCommit && op != kXactAbort && op != kXactCommitPrepared &&
      op != kXactAbortPrepared) {
    return std::nullopt;
  }
  Result<RecordBody> body = parse_record_body(record);
  if (!body || body->main_data.size() < sizeof(std::int64_t)) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(load_u64(body->main_data.data()));
}

}  // namespace sk::pgwal
