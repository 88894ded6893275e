package io.usertcp.tools.ladder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.tcp.TcpState;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** What the three renderers promise beyond the golden files: structure, escaping, one diagram per connection. */
class RenderersTest {

    private static Document parse(String xml) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        f.setNamespaceAware(true);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void svg_twoConnections_wellFormedSelfContained_oneArrowPerSegment_twoStateBoxesPerRow() throws Exception {
        List<Ladder> ladders = Goldens.ladders(Goldens.LINUX + "tcp-rst-closed-port.pcap");
        Document svg = parse(LadderFormat.SVG.render(ladders));
        Element root = svg.getDocumentElement();
        assertEquals("svg", root.getLocalName());
        assertEquals("http://www.w3.org/2000/svg", root.getNamespaceURI());
        NodeList lines = svg.getElementsByTagNameNS("*", "line");
        int arrows = 0;
        for (int i = 0; i < lines.getLength(); i++) {
            if (((Element) lines.item(i)).hasAttribute("marker-end")) {
                arrows++;
            }
        }
        assertEquals(2 + 8, arrows, "one arrow per segment of both connections");
        assertEquals(2 * 2, count(svg, "line", "lifeline"), "a vertical line per endpoint per connection");
        assertEquals(2 * 2, count(svg, "rect", "endpoint"), "a name box per endpoint per connection");
        // A state box per side for the start row and for every segment row.
        assertEquals(2 * ((1 + 2) + (1 + 8)), count(svg, "rect", "state"));
        // Nothing external: no links, images, scripts or foreign objects.
        for (String tag : List.of("a", "image", "script", "foreignObject", "use")) {
            assertEquals(0, svg.getElementsByTagNameNS("*", tag).getLength(), tag);
        }
    }

    private static int count(Document svg, String tag, String cssClass) {
        NodeList nodes = svg.getElementsByTagNameNS("*", tag);
        int n = 0;
        for (int i = 0; i < nodes.getLength(); i++) {
            if (cssClass.equals(((Element) nodes.item(i)).getAttribute("class"))) {
                n++;
            }
        }
        return n;
    }

    private static Ladder handMade(String label) {
        Endpoint a = Segments.C;
        Endpoint b = Segments.S;
        return new Ladder(a, b, 0, TcpState.ESTABLISHED, TcpState.ESTABLISHED,
                List.of(new Ladder.Row(1_000, Ladder.Kind.NOTE_RIGHT, label, TcpState.ESTABLISHED, TcpState.CLOSED, null)),
                TcpState.ESTABLISHED, TcpState.CLOSED, "observed");
    }

    @Test
    void svg_escapesMarkupInLabels() throws Exception {
        String svg = LadderFormat.SVG.render(List.of(handMade("a<b & \"c\">")));
        assertTrue(svg.contains(">a&lt;b &amp; &quot;c&quot;&gt;</text>"), svg);
        parse(svg);
    }

    @Test
    void text_noteRow_showsTheCauseOnTheSideThatChanged() {
        String text = LadderFormat.TEXT.render(List.of(handMade("user ABORT")));
        assertEquals(List.of(
                "connection 1 of 1: 198.18.0.1:40000 > 198.18.0.2:80, 0 segments, states from the stack's state changes",
                "",
                "time (s)       198.18.0.1:40000                       198.18.0.2:80",
                "           ESTABLISHED |                                    | ESTABLISHED",
                "0.000001   ESTABLISHED |                       user ABORT * | CLOSED"), List.of(text.split("\n")));
    }

    @Test
    void mermaid_noteRow_carriesTimeAndCause_stateNotesOnlyOnChange() {
        String mmd = LadderFormat.MERMAID.render(List.of(handMade("user ABORT")));
        assertEquals(List.of(
                "sequenceDiagram",
                "    %% connection 1 of 1: 198.18.0.1:40000 > 198.18.0.2:80, 0 segments, states from the stack's state changes",
                "    participant L as 198.18.0.1:40000",
                "    participant R as 198.18.0.2:80",
                "    Note over L: ESTABLISHED",
                "    Note over R: ESTABLISHED",
                "    Note over R: [0.000001] CLOSED (user ABORT)"), List.of(mmd.split("\n")));
    }

    @Test
    void mermaid_severalConnections_markdownWithOneFencedDiagramEach() throws Exception {
        String md = LadderFormat.MERMAID.render(Goldens.ladders(Goldens.LINUX + "tcp-rst-closed-port.pcap"));
        assertEquals(2, md.split("```mermaid\nsequenceDiagram\n", -1).length - 1);
        assertTrue(md.startsWith("## connection 1 of 2: 198.18.0.1:40003 > 198.18.0.2:5999"), md);
        // Mermaid ends a message at '#' or ';' (its lexer): none may appear in what we emit.
        for (String line : md.split("\n")) {
            if (line.startsWith("    ") && !line.startsWith("    %%")) {
                assertTrue(line.indexOf('#') < 0 && line.indexOf(';') < 0, line);
            }
        }
    }
}
