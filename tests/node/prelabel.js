// A Node.js client of the assist service, from the .proto files alone:
//   node prelabel.js PROTOS_DIR HOST:PORT
// lists the operations, then streams a 1024x1024 uint16 image up in 1 MiB
// chunks and reads the pre-label back. Prints a JSON summary.
const grpc = require("@grpc/grpc-js");
const protoLoader = require("@grpc/proto-loader");

const [protos, address] = process.argv.slice(2);
const definition = protoLoader.loadSync("labelassist/proto/v1/assist.proto",
  { includeDirs: [protos], keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true });
const { AssistService } = grpc.loadPackageDefinition(definition).labelassist.v1;
const assist = new AssistService(address, grpc.credentials.createInsecure());

const side = 1024, image = Buffer.alloc(side * side * 2);
for (let y = 0; y < side; y++)
  for (let x = 0; x < side; x++)
    image.writeUInt16LE((x - 512) ** 2 + (y - 512) ** 2 < 200 ** 2 ? 3000 : 100, 2 * (y * side + x));

assist.ListOperations({}, (error, listed) => {
  if (error) throw error;
  const call = assist.Prelabel();
  const mask = [];
  let result = null;
  call.on("data", (part) => {
    if (part.part === "result") result = part.result;
    else mask.push(part.array.data);
  });
  call.on("error", (e) => { console.error(e.message); process.exit(1); });
  call.on("end", () => console.log(JSON.stringify({
    operations: listed.operations.length, method: result.method, objects: result.object_count,
    maskBytes: Buffer.concat(mask).length })));
  call.write({ params: { method: { name: "otsu" } } });
  for (let offset = 0; offset < image.length; offset += 1 << 20) {
    const chunk = { name: "image", data: image.subarray(offset, offset + (1 << 20)) };
    if (offset === 0) chunk.header = { dtype: "DTYPE_UINT16", shape: [side, side], compression: "COMPRESSION_NONE" };
    call.write({ array: chunk });
  }
  call.end();
});
