import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Opcodes;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * Build step (cli/pom.xml, prepare-package; run as a source file on the CLI's class path): copies the jar that holds
 * class {@code args[0]} to directory {@code args[1]} with its classes rewritten as Java 8 class files (version 52,
 * stack map frames computed), their code unchanged.
 *
 * <p>Why: picocli ships Java 5 class files, and a JDK 24+ AOT cache leaves every such "old class" out ("Skipping
 * picocli/...: Old class has been linked"), so each run loads and verifies all ~170 picocli classes from the jar;
 * JDK 17's static archive holds them but verifies them again at run time. Measured in docs/PERFORMANCE.md.
 */
public final class ClassFileUpgrade {
    public static void main(String[] args) throws IOException, ClassNotFoundException, URISyntaxException {
        Path jar = Path.of(Class.forName(args[0]).getProtectionDomain().getCodeSource().getLocation().toURI());
        Path out = Path.of(args[1]).resolve(jar.getFileName());
        Files.createDirectories(out.getParent());
        int upgraded = 0;
        try (InputStream file = Files.newInputStream(jar); ZipInputStream in = new ZipInputStream(file);
             OutputStream target = Files.newOutputStream(out); ZipOutputStream zip = new ZipOutputStream(target)) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                byte[] bytes = in.readAllBytes();
                String name = e.getName();
                if (name.endsWith(".class") && !name.endsWith("module-info.class")
                        && new ClassReader(bytes).readUnsignedShort(6) < Opcodes.V1_8) {
                    bytes = upgrade(bytes);
                    upgraded++;
                }
                ZipEntry copy = new ZipEntry(name);
                copy.setTime(e.getTime());  // the same bytes from the same input: reproducible
                zip.putNextEntry(copy);
                zip.write(bytes);
                zip.closeEntry();
            }
        }
        System.out.println("ClassFileUpgrade: " + upgraded + " classes of " + jar.getFileName() + " -> " + out);
    }

    private static byte[] upgrade(byte[] bytes) {
        // COMPUTE_FRAMES asks the class loader for common super classes: this JVM's class path holds the jar.
        ClassWriter writer = new ClassWriter(ClassWriter.COMPUTE_FRAMES);
        new ClassReader(bytes).accept(new ClassVisitor(Opcodes.ASM9, writer) {
            @Override
            public void visit(int version, int access, String name, String signature, String superName,
                    String[] interfaces) {
                super.visit(Opcodes.V1_8, access, name, signature, superName, interfaces);
            }
        }, ClassReader.SKIP_FRAMES);
        return writer.toByteArray();
    }
}
